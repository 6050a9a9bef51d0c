"""Customer context: the CRM's profile, loyalty card, purchases and delivery orders, for the inbox and the bot.

`base.py` is the port (CustomerContextProvider); `crm.py` the HTTP adapter and the contract the chain's CRM
implements; `demo.py` generated data for the embedded default; `wiring.py` builds the configured one.
"""
