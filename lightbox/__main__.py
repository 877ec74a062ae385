from lightbox.app.cli import main

raise SystemExit(main())
