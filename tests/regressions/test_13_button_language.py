"""Issue 13, found walking the newcomer's journey: pressing a Russian button («Магазины и часы работы», value
`stores`) switched the bot to English, because the value's Latin letters were read as the shopper's language.
A pressed button's value now keeps the conversation's language; a typed English sentence still switches it."""

from __future__ import annotations

from tests.unit.dialogs.helpers import Chat, flowset

FLOWS = """
rules: {languages: [ru, en], default_language: ru}
flows:
  - id: menu
    triggers: {intents: [greet]}
    steps:
      - buttons:
          text: {ru: "Чем помочь?", en: "How can I help?"}
          options:
            - {title: {ru: Магазины, en: Stores}, value: stores, goto: stores}
  - id: stores
    steps:
      - say: {ru: Напишите номер магазина, en: Type the store number}
"""


async def test_pressing_a_button_keeps_the_conversation_language() -> None:
    chat = Chat(flowset(FLOWS))
    assert (await chat.say("Здравствуйте", "greet")).text == "Чем помочь?"

    pressed = await chat.say("stores", language="en")  # the NLU reads the value's Latin letters as English

    assert pressed.text == "Напишите номер магазина" and chat.state.language == "ru"


async def test_typing_in_english_at_the_menu_still_switches() -> None:
    chat = Chat(flowset(FLOWS))
    await chat.say("Здравствуйте", "greet")

    typed = await chat.say("Stores", language="en")  # the title typed in English: the shopper's own words

    assert typed.text == "Type the store number" and chat.state.language == "en"
