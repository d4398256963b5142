"""The one adapter to git (the only module that imports gitpython).

Commits are built with plumbing (a temporary index, ``write-tree``, ``commit-tree``), so a
proposal never touches the work tree and a branch is pushed only when its commit is complete.
Commit dates come from the ``now`` passed in, so the same content gives the same sha.
Paths given to :class:`GitRepo` methods are relative to the GitOps directory it was opened on,
which may be a sub-directory of the git work tree.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import git
from git.exc import GitCommandError, InvalidGitRepositoryError, NoSuchPathError

from autoopt.errors import GitOpsError, StaleHead

_RECORD = "\x1e"
_FIELD = "\x00"
#: What git says when the remote ref is not where the push expected it: the client-side
#: lease check ([rejected]) or the server's compare-and-swap during a race (cannot lock ref).
_REJECTED = ("stale info", "fetch first", "non-fast-forward", "[rejected]", "but expected")
_LOG_FORMAT = "%H%x00%P%x00%an%x00%ae%x00%aI%x00%cI%x00%B%x1e"


@dataclass(frozen=True)
class Identity:
    """Who commits: a name and an e-mail address."""

    name: str
    email: str


@dataclass(frozen=True)
class FileVersion:
    """One committed version of a file: the commit that wrote it, when, and the text."""

    sha: str
    committed_at: datetime
    text: str


@dataclass(frozen=True)
class CommitInfo:
    """A commit as ``git log`` shows it; ``message`` includes the trailers."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    authored_at: datetime
    committed_at: datetime
    message: str

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


def _git_date(now: datetime) -> str:
    if now.tzinfo is None:
        raise ValueError("commit dates must be timezone-aware")
    return f"{int(now.timestamp())} {now.strftime('%z')}"


class GitRepo:
    """A git work tree (or a directory inside one) that autoopt reads and commits to."""

    def __init__(self, path: str | Path) -> None:
        try:
            self._repo = git.Repo(Path(path), search_parent_directories=True)
        except (InvalidGitRepositoryError, NoSuchPathError):
            raise GitOpsError(f"{path}: not inside a git repository") from None
        if self._repo.bare or self._repo.working_tree_dir is None:
            raise GitOpsError(f"{path}: a bare repository has no work tree")
        self.root = Path(self._repo.working_tree_dir).resolve()
        here = Path(path).resolve()
        self.prefix = PurePosixPath(here.relative_to(self.root).as_posix())

    # ------------------------------------------------------------------ plumbing

    def _run(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        try:
            out = self._repo.git.execute(
                ["git", *args], env=dict(env) if env else None, strip_newline_in_stdout=False
            )
        except GitCommandError as exc:
            raise GitOpsError(f"git {args[0]} failed: {_stderr(exc)}") from None
        return str(out)

    def _path(self, relpath: str) -> str:
        return str(self.prefix / relpath) if str(self.prefix) != "." else relpath

    @property
    def git_dir(self) -> Path:
        """The common git directory (shared by linked worktrees)."""
        return Path(self._repo.common_dir).resolve()

    # ------------------------------------------------------------------ reading

    def current_branch(self) -> str | None:
        """The checked-out branch, or None for a detached head."""
        try:
            out = self._repo.git.execute(["git", "symbolic-ref", "--quiet", "--short", "HEAD"])
        except GitCommandError:
            return None
        return str(out).strip() or None

    def rev(self, ref: str) -> str | None:
        """The commit sha ``ref`` points at, or None when it does not exist."""
        try:
            out = self._repo.git.execute(
                ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"]
            )
        except GitCommandError:
            return None
        return str(out).strip() or None

    def tree(self, rev: str) -> str:
        """The tree sha of commit ``rev``."""
        return self._run("rev-parse", f"{rev}^{{tree}}").strip()

    def branch_sha(self, branch: str) -> str | None:
        return self.rev(f"refs/heads/{branch}")

    def show(self, rev: str, relpath: str) -> str | None:
        """The text of ``relpath`` at ``rev``, or None when the file is not there."""
        try:
            out = self._repo.git.execute(
                ["git", "cat-file", "blob", f"{rev}:{self._path(relpath)}"],
                strip_newline_in_stdout=False,
            )
        except GitCommandError:
            return None
        return str(out)

    def is_dirty(self) -> bool:
        """True when tracked files have uncommitted changes (untracked files do not count)."""
        return self._repo.is_dirty(index=True, working_tree=True, untracked_files=False)

    def ensure_clean(self) -> None:
        if self.is_dirty():
            changed = self._run("status", "--porcelain", "--untracked-files=no").split("\n")
            shown = ", ".join(line[3:] for line in changed if line.strip())
            raise GitOpsError(
                f"the work tree has uncommitted changes ({shown}); commit or stash them first"
            )

    def log(
        self,
        revs: Sequence[str] = ("HEAD",),
        paths: Sequence[str] = (),
        *,
        max_count: int = 0,
        first_parent: bool = False,
    ) -> list[CommitInfo]:
        """Commits reachable from ``revs`` (newest first), touching ``paths`` when given;
        with ``first_parent`` only the branch's own line (merges, not what they merged)."""
        if self.rev(revs[0]) is None:
            return []
        args = ["log", f"--format={_LOG_FORMAT}"]
        if max_count:
            args.append(f"--max-count={max_count}")
        if first_parent:
            args.append("--first-parent")
        args += [*revs, "--"]
        args += [self._path(p) for p in paths]
        return [_parse_record(r) for r in self._run(*args).split(_RECORD) if r.strip()]

    def diff(self, old: str, new: str, relpath: str) -> str:
        """The unified diff of ``relpath`` between two revisions."""
        return self._run("diff", "--no-color", old, new, "--", self._path(relpath))

    def file_versions(self, relpath: str, revs: Sequence[str] = ("HEAD",)) -> list[FileVersion]:
        """Every committed version of ``relpath`` reachable from ``revs``, oldest first.

        A commit appears when it changed the file's text; deletions are skipped.
        """
        versions: list[FileVersion] = []
        seen: set[str] = set()
        for info in reversed(self.log(revs, [relpath])):
            text = self.show(info.sha, relpath)
            if text is None or text in seen:
                continue
            seen.add(text)
            versions.append(FileVersion(info.sha, info.committed_at, text))
        return versions

    def commits_between(self, base: str, head: str) -> list[CommitInfo]:
        """Commits on ``head`` that are not on ``base`` (newest first)."""
        return self.log([head, f"^{base}"])

    def changed_paths(self, base: str, head: str) -> list[str]:
        """Paths (relative to the GitOps directory) that ``head`` changed since it left
        ``base`` (``git diff base...head``: the changes of a pull request), sorted; a rename
        lists both names."""
        out = self._run(
            "diff", "--name-only", "--no-renames", "-z", f"{base}...{head}", "--", str(self.prefix)
        )
        found = set()
        for path in out.split("\0"):
            if not path:
                continue
            relative = PurePosixPath(path)
            if str(self.prefix) != ".":
                relative = relative.relative_to(self.prefix)
            found.add(relative.as_posix())
        return sorted(found)

    @contextlib.contextmanager
    def checkout(self, rev: str, dest: Path) -> Iterator[Path]:
        """A detached work tree of ``rev`` at ``dest`` (a linked worktree: its history and
        config are this repository's) for the duration of the block; yields the GitOps
        directory inside it. Removed afterwards, whatever happens."""
        self._run("worktree", "add", "--detach", "--quiet", str(dest), rev)
        try:
            yield dest / self.prefix if str(self.prefix) != "." else dest
        finally:
            with contextlib.suppress(GitOpsError):
                self._run("worktree", "remove", "--force", str(dest))
            with contextlib.suppress(GitOpsError):
                self._run("worktree", "prune")

    # ------------------------------------------------------------------ remotes

    def person(self) -> str:
        """``Name <email>`` of the git identity configured here, or "" when none is."""
        found = []
        for key in ("user.name", "user.email"):
            try:
                out = self._repo.git.execute(["git", "config", "--get", key])
            except GitCommandError:
                out = ""
            found.append(str(out).strip())
        name, email = found
        return f"{name} <{email}>" if name and email else name or email

    def remote_branches(self, remote: str, prefix: str) -> dict[str, str]:
        """Branches under ``prefix`` on ``remote`` (asks the remote): name → sha."""
        out = self._run("ls-remote", remote, f"refs/heads/{prefix}*")
        found = {}
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref.startswith(f"refs/heads/{prefix}"):
                found[ref.removeprefix("refs/heads/")] = sha
        return found

    def local_branches(self, prefix: str) -> dict[str, str]:
        out = self._run("for-each-ref", "--format=%(objectname) %(refname)", f"refs/heads/{prefix}")
        found = {}
        for line in out.splitlines():
            sha, _, ref = line.partition(" ")
            found[ref.removeprefix("refs/heads/")] = sha
        return found

    def delete_branch(self, remote: str | None, branch: str, *, expected: str) -> None:
        """Delete ``branch`` (on ``remote`` when given, and the local one) if it is still at
        ``expected``; :class:`StaleHead` when someone pushed to it meanwhile."""
        if remote is not None:
            self._leased_push(remote, branch, expected, f":refs/heads/{branch}")
            if self.rev(f"refs/remotes/{remote}/{branch}") is not None:
                self._run("update-ref", "-d", f"refs/remotes/{remote}/{branch}")
        local = self.branch_sha(branch)
        if local is not None and (remote is not None or local == expected):
            if branch == self.current_branch():
                raise GitOpsError(f"branch {branch} is checked out; not deleting it")
            self._run("update-ref", "-d", f"refs/heads/{branch}", local)

    def add_remote(self, name: str, url: str) -> None:
        self._run("remote", "add", name, url)

    def has_remote(self, remote: str) -> bool:
        return remote in [r.name for r in self._repo.remotes]

    def remote_url(self, remote: str) -> str | None:
        """The (first) URL configured for ``remote`` without any credentials in it (fit to
        print), or None without such a remote."""
        if not self.has_remote(remote):
            return None
        urls = list(self._repo.remotes[remote].urls)
        return _without_credentials(str(urls[0])) if urls else None

    def remote_sha(self, remote: str, branch: str) -> str | None:
        """Where ``branch`` is on ``remote`` now (asks the remote), or None if absent."""
        out = self._run("ls-remote", remote, f"refs/heads/{branch}")
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return sha
        return None

    def fetch(self, remote: str, branch: str) -> str | None:
        """Fetch ``branch`` from ``remote`` into ``refs/remotes/<remote>/<branch>``."""
        if self.remote_sha(remote, branch) is None:
            return None
        spec = f"+refs/heads/{branch}:refs/remotes/{remote}/{branch}"
        self._run("fetch", "--quiet", remote, spec)
        return self.rev(f"refs/remotes/{remote}/{branch}")

    def push(self, remote: str, branch: str, sha: str, *, expected: str | None) -> None:
        """Set ``branch`` on ``remote`` to ``sha`` if it is still at ``expected``.

        ``expected=None`` means the branch must not exist yet. When the remote moved, raise
        :class:`StaleHead`; the remote is left as it was (one atomic push).
        """
        self._leased_push(remote, branch, expected, f"{sha}:refs/heads/{branch}")
        self.set_remote_tracking(remote, branch, sha)

    def _leased_push(self, remote: str, branch: str, expected: str | None, refspec: str) -> None:
        """One atomic push of ``refspec`` if ``branch`` is still at ``expected`` on ``remote``."""
        lease = f"--force-with-lease=refs/heads/{branch}:{expected or ''}"
        try:
            self._repo.git.execute(
                ["git", "push", "--porcelain", "--atomic", lease, remote, refspec]
            )
        except GitCommandError as exc:
            text = f"{exc.stdout or ''} {exc.stderr or ''}"
            if any(m in text for m in _REJECTED):
                raise StaleHead(
                    f"{remote}/{branch} moved since it was read (expected "
                    f"{(expected or 'no branch')[:12]}); re-read and retry"
                ) from None
            raise GitOpsError(f"git push to {remote} failed: {_stderr(exc)}") from None

    def set_remote_tracking(self, remote: str, branch: str, sha: str) -> None:
        self._run("update-ref", f"refs/remotes/{remote}/{branch}", sha)

    # ------------------------------------------------------------------ writing

    def set_branch(self, branch: str, sha: str, *, expected: str | None) -> None:
        """Point the local ``branch`` at ``sha`` if it is still at ``expected`` (None: new)."""
        if branch == self.current_branch():
            raise GitOpsError(f"branch {branch} is checked out; switch to another branch first")
        old = expected or "0" * 40
        try:
            self._repo.git.execute(["git", "update-ref", f"refs/heads/{branch}", sha, old])
        except GitCommandError:
            raise StaleHead(f"branch {branch} moved since it was read; re-read and retry") from None

    def commit_files(
        self,
        parent: str | None,
        files: Mapping[str, str | None],
        message: str,
        *,
        author: Identity,
        now: datetime,
        committer: Identity | None = None,
    ) -> str:
        """Build a commit of ``parent``'s tree with ``files`` replaced; return its sha.

        Nothing outside the object database changes: no ref, no index, no work tree. The same
        inputs give the same sha.
        """
        who = committer or author
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": author.name,
            "GIT_AUTHOR_EMAIL": author.email,
            "GIT_AUTHOR_DATE": _git_date(now),
            "GIT_COMMITTER_NAME": who.name,
            "GIT_COMMITTER_EMAIL": who.email,
            "GIT_COMMITTER_DATE": _git_date(now),
        }
        with self._scratch_index() as index:
            env["GIT_INDEX_FILE"] = index
            self._run("read-tree", *([parent] if parent else ["--empty"]), env=env)
            for relpath, text in sorted(files.items()):
                if text is None:  # None deletes the file
                    self._run("update-index", "--force-remove", self._path(relpath), env=env)
                    continue
                blob = self._store_blob(text)
                mode = self._mode(parent, relpath)
                self._run(
                    "update-index",
                    "--add",
                    "--cacheinfo",
                    f"{mode},{blob},{self._path(relpath)}",
                    env=env,
                )
            tree = self._run("write-tree", env=env).strip()
        parents = ["-p", parent] if parent else []
        return self._run("commit-tree", tree, *parents, "-m", message, env=env).strip()

    @contextlib.contextmanager
    def _scratch_index(self) -> Iterator[str]:
        handle, name = tempfile.mkstemp(prefix="autoopt-index-", dir=self.git_dir)
        os.close(handle)
        os.unlink(name)  # git wants to create it itself
        try:
            yield name
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)

    def _store_blob(self, text: str) -> str:
        handle, name = tempfile.mkstemp(prefix="autoopt-blob-", dir=self.git_dir)
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(text.encode("utf-8"))
            return self._run("hash-object", "-w", "--no-filters", name).strip()
        finally:
            os.unlink(name)

    def _mode(self, parent: str | None, relpath: str) -> str:
        if parent:
            out = self._run("ls-tree", parent, "--", self._path(relpath)).strip()
            if out:
                return out.split()[0]
        return "100644"

    def commit_chain(
        self,
        parent: str | None,
        commits: Sequence[tuple[Mapping[str, str | None], str]],
        *,
        author: Identity,
        now: datetime,
    ) -> list[str]:
        """Build a chain of commits on ``parent`` — ``(files, message)`` each, None deletes — in
        one ``git fast-import`` run; return their shas, oldest first.

        Like :meth:`commit_files` nothing but the object database changes (the scratch ref
        fast-import needs is deleted again); files are written with mode 100644. One process
        instead of six per commit: the reconciler commits hundreds of services at once.
        """
        if not commits:
            return []
        ref = f"refs/autoopt/scratch/{os.getpid()}-{id(commits)}"
        stream = _fast_import_stream(
            ref, parent, commits, author, _git_date(now), [self._path(p) for p in _paths(commits)]
        )
        handle, marks = tempfile.mkstemp(prefix="autoopt-marks-", dir=self.git_dir)
        os.close(handle)
        try:
            with tempfile.TemporaryFile(dir=self.git_dir) as feed:
                feed.write(stream)
                feed.seek(0)
                self._repo.git.execute(
                    ["git", "fast-import", "--quiet", "--done", f"--export-marks={marks}"],
                    istream=feed,
                )
            found = dict(line.split() for line in Path(marks).read_text().splitlines() if line)
        finally:
            os.unlink(marks)
            with contextlib.suppress(GitOpsError):
                self._run("update-ref", "-d", ref)
        return [found[f":{index}"] for index in range(1, len(commits) + 1)]

    def merge_no_ff(self, branch_ref: str, message: str, *, now: datetime) -> str:
        """``git merge --no-ff`` of ``branch_ref`` into the checked-out branch; the new sha.

        The merge uses the user's own git identity (a person merges); conflicts abort cleanly.
        """
        date = _git_date(now)
        env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        try:
            self._repo.git.execute(
                ["git", "merge", "--no-ff", "--no-edit", "-m", message, branch_ref], env=env
            )
        except GitCommandError as exc:
            conflicts = self._run("diff", "--name-only", "--diff-filter=U").split()
            with contextlib.suppress(GitCommandError):
                self._repo.git.execute(["git", "merge", "--abort"])
            if conflicts:
                raise GitOpsError(
                    f"cannot merge {branch_ref}: it conflicts in {', '.join(conflicts)}; "
                    "nothing was changed (re-run the proposal on the new base)"
                ) from None
            raise GitOpsError(f"cannot merge {branch_ref}: {_stderr(exc)}") from None
        sha = self.rev("HEAD")
        assert sha is not None
        return sha

    def fast_forward(self, sha: str) -> None:
        """Fast-forward the checked-out branch and the work tree to ``sha``."""
        self._run("merge", "--ff-only", "--quiet", sha)

    def reset_branch_to(self, sha: str) -> None:
        """Move the checked-out branch and the work tree back to ``sha`` (undo a local merge)."""
        self._run("reset", "--hard", "--quiet", sha)


def _without_credentials(url: str) -> str:
    """``https://user:token@host/x`` → ``https://host/x``: a URL fit to print."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host.rpartition('@')[2]}{slash}{path}"


def _stderr(exc: GitCommandError) -> str:
    """git's own words from a failed command, on one line."""
    text = str(exc.stderr or exc.stdout or exc).strip()
    for prefix in ("stderr: '", "stdout: '"):
        if text.startswith(prefix):
            text = text[len(prefix) :].removesuffix("'")
    return " ".join(text.split())


def _parse_record(record: str) -> CommitInfo:
    sha, parents, name, email, authored, committed, message = record.lstrip("\n").split(_FIELD, 6)
    return CommitInfo(
        sha=sha,
        parents=tuple(parents.split()),
        author_name=name,
        author_email=email,
        authored_at=datetime.fromisoformat(authored),
        committed_at=datetime.fromisoformat(committed),
        message=message.rstrip("\n") + "\n",
    )


def _paths(commits: Sequence[tuple[Mapping[str, str | None], str]]) -> list[str]:
    return sorted({path for files, _message in commits for path in files})


def _quote(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _fast_import_stream(
    ref: str,
    parent: str | None,
    commits: Sequence[tuple[Mapping[str, str | None], str]],
    author: Identity,
    date: str,
    full_paths: Sequence[str],
) -> bytes:
    """The ``git fast-import`` input for a chain of commits (paths already prefixed)."""
    prefixed = dict(zip(_paths(commits), full_paths, strict=True))
    out: list[bytes] = []
    who = f"{author.name} <{author.email}> {date}"
    for index, (files, message) in enumerate(commits, 1):
        text = message.encode("utf-8")
        out.append(f"commit {ref}\nmark :{index}\nauthor {who}\ncommitter {who}\n".encode())
        out.append(f"data {len(text)}\n".encode() + text + b"\n")
        if index == 1 and parent:
            out.append(f"from {parent}\n".encode())
        for path, content in sorted(files.items()):
            name = _quote(prefixed[path])
            if content is None:
                out.append(f"D {name}\n".encode())
                continue
            blob = content.encode("utf-8")
            out.append(f"M 100644 inline {name}\ndata {len(blob)}\n".encode() + blob + b"\n")
        out.append(b"\n")
    out.append(b"done\n")
    return b"".join(out)


def init_bare(path: Path, *, branch: str = "main") -> Path:
    """Create an empty bare repository (an ``origin``) at ``path``."""
    git.Repo.init(path, bare=True, initial_branch=branch)
    return path


def init_work_tree(path: Path, *, branch: str = "main") -> GitRepo:
    """Create an empty repository with a work tree at ``path`` (no commit, no remote)."""
    git.Repo.init(path, initial_branch=branch)
    return GitRepo(path)


def clone(origin: Path, dest: Path, *, identity: Identity) -> GitRepo:
    """Clone ``origin`` into ``dest`` with ``identity`` as the clone's own git identity."""
    try:
        repo = git.Repo.clone_from(str(origin), dest)
    except GitCommandError as exc:
        raise GitOpsError(f"cannot clone {origin}: {_stderr(exc)}") from None
    with repo.config_writer() as config:
        config.set_value("user", "name", identity.name)
        config.set_value("user", "email", identity.email)
    return GitRepo(dest)
