"""Masked identities: every patient identifier in a `Result` replaced by a keyed pseudonym.

A consultant may audit years of a practice's history without ever seeing a patient's
name. `pseudonym` is HMAC-SHA-256 of the normalised identifier under the practice's
secret, so the same patient gets the same pseudonym across runs, files and reports, but
the name cannot be recovered (or confirmed by guessing names) without the key. There is
no default key: without one, `mask_key_from_env` refuses (a guessable default would make
every pseudonym reversible by anyone with a list of names).

`mask_result` returns a new `Result` (the original is untouched) in which:
- `cogs.by_visit[*].patient` is the pseudonym, and the visit key too when it embeds the
  patient (`date|patient|provider`, the key used when the log has no visit ID); a visit
  ID that contains a patient's name has the name replaced;
- every `Movement` has its patient and visit key masked, and its row reference points at
  a view of the sheet (`MaskedCells`) that shows only the columns lotsync reads, with the
  patient column pseudonymised (so contact columns such as phone, email and address, and
  any notes, cannot be read: a recall list written from a masked result has no contact
  columns);
- finding messages, suggestions and lot text are scrubbed of any patient's name (findings
  never hold one by design; this is the belt to that design's braces);
- every source reference (findings', lots', movements' and the inputs list: file path, tab,
  title, column header) is scrubbed too: a clinic that keeps one visit log per patient
  names the file or the tab for them (issue 15 item 9).

Scrubbing free text matches identifiers word by word (case and spacing ignored) and only
those with a letter and at least three characters: a purely numeric chart number in a
free-text message could not be told from a quantity. Such IDs are still replaced wherever
they stand as the patient (by_visit, movements, the sheet view).
"""

from __future__ import annotations

from lotsync.errors import MaskKeyError  # defined there, with every cannot-run error

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from lotsync.reconcile.result import Cogs, Movement, Result
from lotsync.tables.values import clean_text

ENV_VAR = "LOTSYNC_MASK_KEY"
MIN_KEY_CHARS = 16
PREFIX = "P-"

_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
_VISIT_KEY = re.compile(r"^(\d{4}-\d{2}-\d{2})\|(.*)\|([^|]*)$", re.S)
#: Columns of the sheet copy that hold free text and are scrubbed of names.
_FREE_TEXT_FIELDS = ("visit_id", "reason", "staff", "supplier", "invoice")


def normalise_patient(patient: str) -> str:
    """Case, spacing and Unicode form ignored: "ava thompson" is "Ava  Thompson"."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", str(patient))).strip().casefold()


def pseudonym(key: bytes, patient: str) -> str:
    """`P-` and 10 base32 characters (50 bits) of HMAC-SHA-256(key, normalised identifier)."""
    if isinstance(key, str):
        key = key.encode("utf-8")
    digest = hmac.new(key, normalise_patient(patient).encode("utf-8"), hashlib.sha256).digest()
    return PREFIX + base64.b32encode(digest).decode("ascii")[:10]


def mask_key_from_env(config_value: str | None = None) -> bytes:
    """The practice secret: `LOTSYNC_MASK_KEY`, else the config's value. Refuses (MaskKeyError)
    when there is none, or it is shorter than 16 characters or nearly one repeated character."""
    raw = os.environ.get(ENV_VAR)
    where = ENV_VAR
    if raw is None or not raw.strip():
        raw, where = config_value, "the config's mask key"
    if raw is None or not str(raw).strip():
        raise MaskKeyError(
            f"masking patients needs a practice secret: set {ENV_VAR} (a random text of "
            f"{MIN_KEY_CHARS} characters or more, kept like a password); lotsync has no default key")
    raw = str(raw).strip()
    if len(raw) < MIN_KEY_CHARS:
        raise MaskKeyError(f"{where} is too short ({len(raw)} characters): use a random text of "
                           f"{MIN_KEY_CHARS} characters or more")
    if len(set(raw)) < 6:
        raise MaskKeyError(f"{where} is too easy to guess (almost one repeated character): "
                           "use a random text")
    return raw.encode("utf-8")


class Masker:
    """Pseudonyms for a set of known patients, and a scrubber for free text."""

    def __init__(self, key: bytes, patients) -> None:
        self.key = key
        self._cache: dict[str, str] = {}
        self._scrubbed: dict[str, str] = {}
        # first word -> [(word tuple, pseudonym)], longest names first
        self._names: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        seen: set[tuple[str, ...]] = set()
        for p in sorted({p for p in patients if p}):
            norm = normalise_patient(p)
            words = tuple(w.casefold() for w in _WORD.findall(norm))
            if not words or len(norm) < 3 or not any(ch.isalpha() for ch in norm) or words in seen:
                continue
            seen.add(words)
            self._names.setdefault(words[0], []).append((words, self.patient(p)))
        for lst in self._names.values():
            lst.sort(key=lambda e: -len(e[0]))

    def patient(self, p: str | None) -> str | None:
        if p is None or not str(p).strip():
            return p
        hit = self._cache.get(p)
        if hit is None:
            hit = self._cache[p] = pseudonym(self.key, p)
        return hit

    def scrub(self, text: str | None) -> str | None:
        """`text` with every known patient's name (word for word, any case) replaced."""
        if not text or not self._names:
            return text
        hit = self._scrubbed.get(text)
        if hit is None:
            names = self._names
            if not any(w in names for w in _WORD.findall(unicodedata.normalize("NFKC", text).casefold())):
                hit = text  # the fast path: no word of the text starts a name
            else:
                hit = self._replace(text)
            if len(self._scrubbed) < 100_000:
                self._scrubbed[text] = hit
        return hit

    def _replace(self, text: str) -> str:
        tokens = list(_WORD.finditer(text))
        words = [unicodedata.normalize("NFKC", t.group()).casefold() for t in tokens]
        out: list[str] = []
        pos = 0
        i = 0
        while i < len(tokens):
            hit = None
            for name, pseud in self._names.get(words[i], ()):
                n = len(name)
                if tuple(words[i:i + n]) == name:
                    hit = (n, pseud)
                    break
            if hit is None:
                i += 1
                continue
            n, pseud = hit
            out.append(text[pos:tokens[i].start()])
            out.append(pseud)
            pos = tokens[i + n - 1].end()
            i += n
        if not out:
            return text
        out.append(text[pos:])
        return "".join(out)

    def visit(self, visit: str | None, patient: str | None) -> str | None:
        """A visit key: `date|patient|provider` gets the pseudonym; a visit ID is scrubbed."""
        if not visit:
            return visit
        m = _VISIT_KEY.match(visit)
        if m and (m.group(2) == (patient or "") or m.group(2) in self._cache):
            middle = m.group(2)
            return f"{m.group(1)}|{self.patient(middle) if middle else ''}|{m.group(3)}"
        return self.scrub(visit)


class MaskedCells(Sequence):
    """A sheet's rows as seen through the mask, computed when a row is read: only the
    columns lotsync reads, the patient column pseudonymised, free text scrubbed. Nothing
    else of the sheet (contact columns, notes) can be read through it."""

    __slots__ = ("_cells", "_header", "_keep", "_masker")

    def __init__(self, cells, header: int, keep: dict[int, str], masker: "Masker") -> None:
        self._cells = cells
        self._header = header
        self._keep = sorted(keep.items())
        self._masker = masker

    def __len__(self) -> int:
        return len(self._cells)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self._cells)
        row = self._cells[i]
        if i < self._header or not row:
            return []
        new = [None] * len(row)
        masker = self._masker
        for j, f in self._keep:
            if j >= len(row):
                break
            c = row[j]
            if i > self._header and isinstance(c, (str, int, float)) and not isinstance(c, bool):
                if f == "patient":
                    c = masker.patient(clean_text(c))
                elif f in _FREE_TEXT_FIELDS and isinstance(c, str):
                    c = masker.scrub(c)
            new[j] = c
        return new


def _masked_table(table, masker: "Masker"):
    """A copy of a sheet's table whose cells are seen through the mask, and whose file,
    tab and title names are scrubbed (a visit log kept per patient is named for them)."""
    named = replace(table, file=masker.scrub(table.file), sheet=masker.scrub(table.sheet),
                    display_file=masker.scrub(table.display_file))
    if table.cells is None:
        return named
    keep = {c.index: f for f, c in table.columns.items()}
    return replace(named, cells=MaskedCells(table.cells, table.header_row - 1, keep, masker))


def _masked_source(src, masker: "Masker"):
    """A source reference with every known patient's name scrubbed from its file (the whole
    path), tab, title and column header."""
    if src is None:
        return None
    new = replace(src, file=masker.scrub(src.file), sheet=masker.scrub(src.sheet),
                  title=masker.scrub(src.title), column=masker.scrub(src.column))
    return src if new == src else new


def mask_result(result: Result, key: bytes) -> Result:
    """`result` with every patient identifier replaced by its pseudonym (see the module doc)."""
    patients = {v.patient for v in result.cogs.by_visit if v.patient}
    patients.update(m.patient for m in result.movements if m.patient)
    masker = Masker(key, patients)
    for p in patients:
        masker.patient(p)
    by_visit = tuple(sorted(
        (replace(v, patient=masker.patient(v.patient), visit=masker.visit(v.visit, v.patient))
         for v in result.cogs.by_visit),
        key=lambda x: (x.date, x.visit)))
    cogs: Cogs = replace(result.cogs, by_visit=by_visit)

    tables: dict[int, object] = {}
    refs: dict[int, object] = {}

    def table_of(t):
        mt = tables.get(id(t))
        if mt is None:
            mt = tables[id(t)] = _masked_table(t, masker)
        return mt

    def ref_of(ref):
        if ref is None:
            return None
        hit = refs.get(id(ref))
        if hit is None:
            hit = refs[id(ref)] = type(ref)(table_of(ref.table), ref.row)
        return hit

    movements = tuple(
        Movement(m.kind, m.product, m.lot, m.lot_key, m.location, m.date, m.quantity, m.value,
                 m.inferred, ref_of(m.ref), masker.patient(m.patient), m.provider,
                 masker.visit(m.visit, m.patient), m.other_location)
        for m in result.movements)
    findings = []
    for f in result.findings:
        msg, sug, lot = masker.scrub(f.message), masker.scrub(f.suggestion), masker.scrub(f.lot)
        src = _masked_source(f.source, masker)
        if (msg, sug, lot) != (f.message, f.suggestion, f.lot) or src is not f.source:
            f = replace(f, message=msg, suggestion=sug, lot=lot, source=src)
        findings.append(f)
    lots = tuple(l if l.source is None else replace(l, source=_masked_source(l.source, masker))
                 for l in result.lots)
    inputs = tuple(replace(i, file=masker.scrub(i.file), sheet=masker.scrub(i.sheet),
                           note=masker.scrub(i.note)) for i in result.inputs)
    ledger = result.ledger
    if ledger is not None:
        # the columns' visit tables as the findings and inputs now name them (a tab or file
        # named for a patient is scrubbed there), and seen through the mask like a movement's
        ledger = ledger.with_tables([table_of(t) for t in ledger.tables])
    return replace(result, cogs=cogs, movements=movements, findings=tuple(findings), lots=lots,
                   inputs=inputs, ledger=ledger)
