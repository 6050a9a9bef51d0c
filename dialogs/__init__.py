"""The dialog-flow engine and the YAML flows the content team writes (issue 8; the language: README.md).

    loader.load_flows(dir) -> model.FlowSet        files -> models, FlowError with file:line problems
    check.check(flowset, intents=, actions=)       every problem of a FlowSet, with file:line
    engine.step(flowset, state, turn, actions)     one turn -> replies, handover, new compact state
    registry.FlowRegistry(dir, ...)                the served FlowSet, hot-reloaded when valid
    testing.run_tests(flowset, dir)                the YAML conversation tests
    schema                                         flow.schema.json for editors

Inside: nodes/steps/model (the language), graph (steps as a graph, for check), runner (executing steps),
validation (answers), conditions (branch), templates (variables), summary (the operator's note), turns
(Turn, DialogState, StepResult, the Actions port), vocabulary (the NLU's intents and entities).
"""
