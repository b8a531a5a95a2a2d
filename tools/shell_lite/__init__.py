"""shell-lite: the ``shell`` tool, coreutils-like commands implemented in Python over the workspace.

Layout: ``lexer`` (quotes, pipes, redirects; refusals), ``globbing`` (workspace-only globs),
``lookup`` (operands resolved as the kernel does), ``pipeline`` (runs the stages streaming
into each other, opens the redirect as bash does), ``runtime`` (what a command sees: its
input as a stream, the deadline), ``cmd_*`` (the commands, each a generator of output blocks),
``posix_re`` (BRE/ERE to Python regex) and ``re_shape`` (when a pattern may run in ``re``),
``grep_match`` (finding matching lines in C), ``spill`` (sort's memory bound and merge),
``vfs`` (the overlay writes are planned in, and the before-image convention), ``scope`` (what
"allow for this session" covers), ``preview``, ``undo`` (puts before-images back), ``tool``
(plan and run).

Speed: no Python loop runs per line on the hot paths. Blocks of lines go through C-level
searches (``re``/``regex`` over a whole block, ``bytes.count``, ``map`` over ``bytes.split``);
stages stream into each other in blocks, and a stage that stops reading (``head``) ends the
stages before it; limits apply to what a stage keeps, not to what flows through.
bench/shell_lite.py times each against GNU.

The rule: stdout, exit status and the resulting files are those of bash 5.2 + GNU coreutils 9.1
and grep 3.8 in the C locale, or the command is refused with a reason; never a silent
difference. tests/test_shell_lite_differential.py checks it on thousands of random command lines
(tests/support/shell_diff.py). Refused rather than imitated, because matching would be unsafe,
racy or not reproducible:

- a glob that matches nothing (bash's failglob), a glob that would follow a link out of the
  workspace, and anything that escapes it (absolute paths, '..' out, links out, app data);
- write commands inside a pipeline, and earlier stages that read or list what the redirect at
  the end creates or empties (bash runs them at the same time: a race); reading the redirect's
  own file after output went to it (the result depends on buffering);
- moving, removing or copying symbolic links (cp -r), special files, hard-linked files (a door
  to a file outside), and partial operations GNU performs before it fails (cp into itself);
- grep constructs whose GNU meaning is murky or buggy (-o with both -w and -x, a leading '*' in
  -E, ...) and a binary input whose first NUL byte comes after lines grep would print (where
  GNU's read buffer ends decides how many it prints);
- numbers with suffixes (head -n 5k), unknown flags, NAME=~ (bash expands the tilde).

Differences that remain on purpose: ls, find and grep -r walk folders in name order (GNU uses
directory order, which is name order only on some file systems); the app's own data folders and
paths covered by a deny rule are left out of every listing, walk and glob (with a note); pwd
prints the workspace folder; touch on a folder does nothing; cp gives new files ordinary
permissions rather than the source's mode.
"""

from tools.shell_lite.pipeline import ShellLimits
from tools.shell_lite.tool import ShellTool

__all__ = ["ShellLimits", "ShellTool"]
