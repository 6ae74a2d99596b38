from osit.cli.main import main

raise SystemExit(main())
