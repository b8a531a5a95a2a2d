"""shell-lite: the ``shell`` tool, coreutils-like commands implemented in Python over the workspace.

Layout: ``lexer`` (quotes, pipes, redirects; refusals), ``globbing`` (workspace-only globs),
``pipeline`` (runs stages in memory), ``cmd_*`` (the commands), ``posix_re`` (BRE/ERE to
Python regex), ``vfs`` (the overlay writes are planned in, and the before-image convention),
``preview``, ``undo`` (puts before-images back), ``tool`` (plan and run).

Output matches GNU coreutils 9.1 / grep 3.8 in the C locale byte for byte for the supported
flags (tests/test_shell_lite_coreutils.py runs the real tools as the oracle). Deliberate
differences, each because matching would be unsafe or not reproducible:

- ls has no -l (owners and dates); ls, find and grep -r walk folders in name order, where GNU
  uses directory order; the app's own data folders are left out of every listing and glob.
- A redirect is written after the pipeline ends, so ``sort f > f`` sorts f in place and
  ``ls > f`` does not list f (a shell truncates f first).
- A glob that matches nothing is an error (bash's failglob), never passed on as text.
- grep decides "binary" per 1 MiB block (GNU per read buffer), so a file whose first NUL byte
  lies past the first block may print a different number of lines before the notice; -o with -w
  and a pattern that can match the empty string may differ; a few murky constructs (a leading
  ``*`` in -E, an unmatched ``)``, ``\\{`` or ``\\+`` with nothing before them) are refused.
- Numbers take no suffixes (head -n 5k); tail -NUM takes one file; echo knows only -n (no
  escapes); pwd prints the workspace folder; touch on a folder does nothing.
- Symbolic links are never moved, removed or copied (undo could not restore them); cp gives new
  files ordinary permissions rather than the source's mode.
"""

from tools.shell_lite.pipeline import ShellLimits
from tools.shell_lite.tool import ShellTool

__all__ = ["ShellLimits", "ShellTool"]
