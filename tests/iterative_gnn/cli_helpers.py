"""What the command-line tests share: running the tool up to its usage error."""
from __future__ import annotations

import pytest

from iterative_gnn.cli import main


def usage_error(argv, capsys) -> str:
    """Run the tool; it must stop as argparse does (exit code 2, no traceback); return its stderr."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2, err
    assert "Traceback" not in err and "usage: iterative-gnn" in err
    return err
