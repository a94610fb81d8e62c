from sim.sensitivity.cli import main

main()
