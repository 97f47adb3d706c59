from fer_desktop.cli import main

raise SystemExit(main())
