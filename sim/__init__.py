"""edusim: education planning model for Jilin City (吉林市).

The layers, arrows pointing down only (``docs/architecture.md``)::

    cli.py            parse, call one function of sim.analysis.jobs, print
    sim/analysis/     targets, compare, explain, back-test, sensitivity, sweeps, the report job
    sim/run/          prepare (load once), simulate (the stage loop, chunks), executors, run folders
    sim/stages/       population, students, attainment, teachers, finance; STAGES, the registry
    sim/schema/       one module per scenario section; YAML loading with extends:
    sim/core/         series, the levels table, the stage context, the variable catalogue, errors

Public entry points: ``sim.run.simulate.simulate_scenario`` (load and run a scenario) and
``sim.schema.load.load`` (load and validate one).
"""
