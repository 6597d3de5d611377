"""Reading a header as words: which fields it may name, how sure, and the words that decided.

Rules (SPEC §1): a header is split into words on case changes, underscores, punctuation
and brackets; accents are dropped (and ı, ł, ø, æ, ß read plain); elided articles are their
own word (`Prix d'achat`); an unspaced slash between words is "per" (`Units/Vial`); a word
run together from known words is split into the fewest known parts (`QTYONHAND`,
`Verfallsdatum`; a German linking `s`/`en` only before a noun); a word cut short with a dot is
the one vocabulary word it begins (`Fourn.`, `Ubicaz.`; detect9); each word is expanded through the abbreviation and translation tables in
`vocabulary.toml` (`Qty` -> quantity, `Lote` -> lot, `QOH` -> quantity on hand), trying its
base form when the vocabulary lacks it (`recibida` -> recibido, `utilisée` -> utilise,
`transferred` -> transfer); a word still unknown is corrected to the closest known word when
rapidfuzz finds one at least 87% alike, two swapped letters counting as one slip
(`Expiraton`, `Recieved`, `Quanity`; a 7-letter word with one slip, 86%, is not corrected:
`Counter` stays a person, not `Counted`).

A field is named when all the words of one of its phrases are in the header: a strong
phrase scores 1.0, a weak one 0.6, a longer phrase a little more than a shorter one; any
veto word rules the field out, and a kind of table may add its own vetoes (`Doses Wasted`
on a visit log). Words that nothing explains make the guess less sure; the field's other
one-word names and, for a quantity, a movement word (`Receipt Qty`) explain. A header
naming a person's role (`Counted By`, `Initials`, `Checked In By`) can only be a person
(provider or staff), never a quantity or a date; a header with a person's attribute
(`Patient Height`, `Patient Zip`, `Provider Email`: `[words] attributes`) names the
attribute, never the person (a supplier's too: `Supplier Address`); a header asking yes/no
(`Expired?`, `Allow negative stock`) names no field, nor does a system's hash or version. A
number of countable things (`Número de dosis`, `num_unidades`) is how many, outside a visit
log (there a dose's number is its rank); a number of a thing (`Número de lote`) is its
identifier (detect9).

Export conventions are read before the words (detect7): a column's type prefix or suffix
(`qt_`, `vl_`, `cd_`, `nm_`, `nr_`, `tp_`, `dt_`; `_qty`, `_cd`, `_dt`; Access's `str`, `int`,
`cur`, `dte`) says what it holds, and a flag prefix or suffix (`fl_`, `flg_`, `ind_`, `bln`,
`is_`, `_flag`, `_yn`) names no field; a TOTVS table alias (`B8_`), a flattened path's
`.value` and a foreign key's `fk_` are dropped; `Date/Time` is the date; `by` after a
quantity is the amount changed by. German `von` and Italian `da` after a participle, like
Dutch `door`, are "by" (`Verabreicht von`); Spanish `por` and French `par` before a unit or
package are "per" (`Unidades por caja`). Cyrillic is read as letters, CJK runs are split.

Rejected: one fuzzy similarity score for the whole header string (it reads `Cost` as
`Cost of Goods` and `Date` as `Date Received`, and cannot say why); an ever-growing list
of exact spellings (the reason issue 9 was filed); a stemmer or a translation library (a
dependency for a few hundred words, and stems conflate what a header keeps apart:
`Zählung`/`Zahlung`, `Charge` the batch and `Charge` the price); splitting any word into
any known fragments (`perdue` is not per + due: a known word's other form is never split).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import OSA

from lotsync.model import Kind

STRONG, WEAK = 1.0, 0.6
FUZZY_CUTOFF = 87.0

#: On an equal score these fields win (SPEC §1: a bare Total on a receiving log is money).
TIE_FIRST = frozenset({"total_cost"})

#: Fields that hold a person; a role header ("Counted By") may only be one of these.
PERSON_FIELDS = frozenset({"provider", "staff", "patient"})
QUANTITY_FIELDS = frozenset({"quantity", "remaining", "counted"})
#: Fields whose values are names: `<noun> name` names the field as the noun alone does.
NAMED_FIELDS = frozenset({"product", "location", "to_location", "supplier", "patient", "provider", "staff"})
#: ... but a part of a person's name is only a part (`Injector Last Name`, `PERSON_FORENAME`).
NAME_PARTS = frozenset({"first", "last", "given", "family", "middle"})
_HOLDING = frozenset({"remaining", "left", "hand", "stock", "available"})
_COUNTING = frozenset({"counted", "found"})
#: Which movement words explain which quantity field: a holding (`Doses in stock`) explains
#: what remains, not a movement quantity; a count explains the counted quantity.
MOVE_OF: dict[str, frozenset[str]] = {
    "remaining": _HOLDING,
    "counted": _COUNTING,
    "quantity": frozenset({"received", "used", "given", "injected", "administered", "dispensed", "shipped",
                           "delivered", "waste", "opening", "added", "out", "sold", "returned", "delivery",
                           "receipt", "produced"}),
}


@dataclass(frozen=True)
class FieldGuess:
    """One field a header may name: score in (0, 1.2], the header words that decided."""
    field: str
    score: float
    words: tuple[str, ...]
    fuzzy: bool = False


@dataclass(frozen=True)
class Vocabulary:
    abbreviations: dict[str, tuple[str, ...]]
    known: frozenset[str]
    stop: frozenset[str]
    person: frozenset[str]
    packages: frozenset[str]
    measures: frozenset[str]
    moves: frozenset[str]
    flags: frozenset[str]
    attributes: frozenset[str]
    # field -> its strong one-word phrases (`product`: item, description, drug, ...)
    single: dict[str, frozenset[str]]
    # field -> [(phrase words, weight)], field -> veto phrases
    phrases: dict[str, tuple[tuple[frozenset[str], float], ...]]
    vetoes: dict[str, tuple[frozenset[str], ...]]
    veto_last: dict[str, frozenset[str]]
    per_kind: dict[Kind, dict[str, tuple[frozenset[str], ...]]]
    # kind -> field -> veto phrases that hold only in that kind of table
    kind_vetoes: dict[Kind, dict[str, tuple[frozenset[str], ...]]]
    # one word of each phrase (its least, by sort order) -> (field, position in the field's
    # phrases, phrase words, weight): a header is held only against the phrases that share a
    # word with it, not against all of them (every cell of the first rows is read as a header)
    phrase_index: dict[str, tuple[tuple[str, int, frozenset[str], float], ...]]


_SPLIT_CASE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^0-9a-z#$%]+")
_DIGITS = re.compile(r"^\d+$")
#: A lower-case snake_case export column `<noun>_id` (`product_id`, `prod_lot_id`,
#: `product_uom_id`) is a reference to a record of that noun (an ERP export writes the
#: record's name there), so it is read as the noun. `Product ID`, `ProductoID`, `Batch ID`
#: are typed by a person and name a code: they keep the head-noun rule.
#: The same in a camelCase export (`itemId`, `locationId`, `productId`: a lower-case first
#: letter, `Id` last) is a reference too; `ItemID` and `Item Id` stay a code.
#: And with the id first, as French and Spanish exports write it (`id_lot`, `id_producto`).
#: And as a foreign key (`fk_product`, `fk_entrepot`: Dolibarr and other SQL exports).
_REFERENCE = re.compile(r"([a-z]+(?:_[a-z]+)*)_id|([a-z]+(?:[A-Z][a-z]+)*)Id|id_([a-z]+(?:_[a-z]+)*)"
                        r"|fk_([a-z]+(?:_[a-z]+)*)")
#: Head nouns that French, Spanish, Portuguese and Italian put first (`Code Article`, `ID
#: Producto`, `Número de artículo`, `Réf. produit`: a code or number, not the product).
#: Only the header's own word counts: `NDC Description` is a description (`ndc` only
#: expands to code), `Code produit` is a code.
HEAD_FIRST = frozenset({"code", "codigo", "cod", "cd", "cdg", "kode", "код", "id", "codice", "clave", "numero", "nro", "num", "ref", "rang",
                        "reference", "referencia", "riferimento"})
#: Brazilian public-health exports (DATASUS, e-SUS) prefix every lower-case snake_case column
#: with what it holds: `no_` nome (the name of), `nu_` numero, `dt_` data, `sg_` sigla,
#: `ds_` descricao, `co_` codigo (`no_cidadao` is the citizen's name: the patient;
#: `dt_nascimento` a birth date). Read as those words. `no_` stays a number where an English
#: export counts with it (`no_of_units`, `no_doses`, `no_vials_received`: a quantity or
#: package word follows, alone or with a movement word), so `no_dose_imunobiologico` is the
#: dose's name.
#: The same convention is the house style of many Portuguese, Spanish and Italian databases
#: and ERP exports (detect7): `qt_`/`qtd_` quantidade, `vl_`/`vlr_` valor (money), `cd_`
#: codigo, `nm_` nome, `nr_` numero, `tp_` tipo, and `fl_`/`flg_`/`ind_` a yes/no flag (which
#: names no field: `fl_vencido` is "expired?", not the expiration). `vl_` is the value here,
#: never the vial that a bare `VL` abbreviates.
_PREFIXED = re.compile(r"(no|nu|dt|sg|ds|co|qt|qtd|qtde|vl|vlr|cd|nm|nr|tp|fl|flg|ind)_([a-z]+(?:_[a-z]+)*)")
PREFIX_WORDS = {"no": "nome", "nu": "numero", "dt": "data", "sg": "sigla", "ds": "descricao", "co": "codigo",
                "qt": "quantidade", "qtd": "quantidade", "qtde": "quantidade", "vl": "valor", "vlr": "valor",
                "cd": "codigo", "nm": "nome", "nr": "numero", "tp": "tipo", "fl": "flag", "flg": "flag",
                "ind": "flag"}
#: A product's attribute put last (`productBrand`, `vaccine_brand`, `productColor`): with a word
#: naming the product before it, the header names the attribute; a bare `Brand` or `Brand
#: Name` is still the product where nothing else names it.
PRODUCT_ATTRIBUTES = frozenset({"brand", "color", "colour"})
#: A reference (`<noun>_id`, `<noun>Id`, `id_<noun>`) points at a record: a thing, a place,
#: a person or a document. It never holds an amount, a date, a money figure or a kind of
#: movement, whatever its noun (`doseId`, `receiptId`, `id_aplicacao`, `id_ajuste`: the
#: dose's, receipt's, administration's, adjustment's record, detect8).
NOT_REFERENCED = frozenset({"quantity", "remaining", "counted", "date", "received_date", "expiration",
                            "unit_cost", "total_cost", "price", "type", "reason", "units_per_package"})
#: Words that make a following `by` a date (`Use By`), not a person (`Counted By`).
DATE_BY = frozenset({"use", "best", "sell", "expiration", "until", "eat"})


#: Letters that carry no combining accent to drop (Turkish dotless i, Polish ł, Nordic ø/æ,
#: German ß): written as the plain letters a reader would type for them.
_PLAIN_LETTERS = str.maketrans({"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "Ae",
                                "ß": "ss", "đ": "d", "Đ": "D", "œ": "oe", "Œ": "Oe"})


def strip_accents(text: str) -> str:
    text = text.translate(_PLAIN_LETTERS)
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


#: French and Italian elision (`Prix d'achat`, `Date d’entrée`, `Quantita' dell'articolo`):
#: the article is its own word. `Rec'd` keeps its apostrophe rule (no word starts at `d`).
_ELISION = re.compile(r"(?<![A-Za-z])([dlDL]|[Dd]ell|[Nn]ell|[Qq]u)['’](?=[A-Za-z])")


#: `Units/Vial`, `Cost/Unit`: a slash between two words with no space is "per". A spaced
#: slash separates two wordings of one column (`Lote / Lot`, `Date / heure`); a slash between
#: initials (`U/M`, `N/A`) is neither.
_SLASH_PER = re.compile(r"(?<=[a-z]{2})/(?=[A-Za-z]{2})|(?<=[A-Z]{2})/(?=[A-Za-z]{2})")


#: `Date/Time`, `Date / Time`, `DATE-TIME`: one moment, the date (HL7 and Excel exports).
_DATE_TIME = re.compile(r"(?i)\bdate\s*[/-]\s*time\b")
#: `Adjust Qty. By`, `Increase Quantity By` (NetSuite's adjustment import): `by` after a
#: quantity, last, is the amount the stock changes by, not a person.
_AMOUNT_BY = re.compile(r"(?i)\b(qty|qnty|quantity|amount|amt|units)\.?\s+by\s*$")
#: `doseQuantity.value`, `quantity.value`, `dosage.dose.value` (FHIR and JSON exports flattened
#: to columns): the element's `.value` is the element itself.
_PATH_VALUE = re.compile(r"([A-Za-z]+(?:\.[A-Za-z]+)*)\.value")
#: TOTVS Protheus names every column `<table alias>_<field>`, the alias a letter and a digit
#: (`B8_LOTECTL`, `D1_QUANT`, `B1_DESC`): the alias names the table, not the column.
_TABLE_ALIAS = re.compile(r"[A-Z][0-9]_([A-Z][A-Z0-9_]*)")
#: Access / Visual Basic exports type every column by a lower-case prefix before a capital
#: (`strLotNumber`, `intQty`, `curUnitCost`, `dteExpiry`, `blnExpired`): the prefix says the
#: value's type, not the field; a date prefix is the word date, a yes/no prefix a flag.
_TYPE_PREFIX = re.compile(r"(str|int|lng|dbl|sng|dec|cur|txt|dte|dtm|bln|bool)(?=[A-Z][a-z])(.+)")
TYPE_PREFIX_WORDS = {"dte": "Date ", "dtm": "Date ", "bln": "Flag ", "bool": "Flag "}
#: A record's event time written as a participle and `At` (`countedAt`, `usedAt`,
#: `adjustedAt`, `received_at`: the moment it was counted, used, adjusted) is that event's
#: date, as `Counted Date` is (detect8). An edit's time (`updatedAt`, `approvedAt`,
#: `deletedAt`) dates a change to the record, never the event: left as it is (no field).
_EVENT_AT = re.compile(r"(.*?)([A-Za-z]*ed)(?:At|_at|_AT| at| At)")
EDITED = frozenset({"updated", "modified", "changed", "deleted", "approved", "archived", "synced", "cancelled",
                    "canceled", "published", "restocked", "edited", "posted", "exported", "printed"})


def rewrite_header(header: str) -> str:
    """The header as the words it stands for, before they are split: `Date/Time` is one
    word (datetime), a quantity `by` is no role, a flattened path's `.value` is its element,
    a Protheus table alias and an Access type prefix are dropped."""
    m = _PATH_VALUE.fullmatch(header) or _TABLE_ALIAS.fullmatch(header)
    if m is not None:
        header = m.group(1)
    m = _TYPE_PREFIX.fullmatch(header)
    if m is not None:
        header = TYPE_PREFIX_WORDS.get(m.group(1), "") + m.group(2)
    m = _EVENT_AT.fullmatch(header)
    if m is not None and m.group(2).casefold().rsplit("_", 1)[-1] not in EDITED:
        header = f"{m.group(1)}{m.group(2)} date"
    header = _DATE_TIME.sub("datetime", header)
    return _AMOUNT_BY.sub(r"\1", header)


def split_words(header: str) -> list[str]:
    """`LOT_EXPIRATION_DATE` -> lot expiration date; `qtyOnHand` -> qty on hand;
    `Rec'd` -> recd; `Cost ($)` -> cost $; `Nº` -> number; `Prix d'achat` -> prix d achat."""
    s = _ELISION.sub(r"\1 ", strip_accents(rewrite_header(str(header))))
    s = s.replace("'", "").replace("’", "")
    s = _SLASH_PER.sub(" per ", s)
    s = s.replace("º", " no ").replace("°", " no ").replace("#", " # ")
    v = vocabulary()
    out: list[str] = []
    chunks = [c for c in _CHUNKS.findall(s) if c]
    if len(chunks) > 1 and all(len(c) == 1 and c.isalpha() for c in chunks):
        chunks = ["".join(chunks)]  # `P.U.`, `U/M`: initials of one word
    chunks = _join_dotted(chunks, v)
    cut = {m.group(1).casefold() for m in _CUT_SHORT.finditer(s)}
    for chunk in chunks:
        if _CJK.match(chunk):
            out.extend(_segment_cjk(chunk))
            continue
        low = chunk.casefold()
        # a known word keeps its case-mix whole (`mL`, `UoM`); others split on case changes
        parts = [low] if low in v.abbreviations or low in v.known else _SPLIT_CASE.sub(" ", chunk).casefold().split()
        for w in parts:
            if w and not _DIGITS.match(w):
                whole = _completion(w) if low in cut and len(parts) == 1 else None
                out.extend([whole] if whole else _compound(w, v))
    return out


#: A word cut short with a dot (`Fourn.`, `Forn.`, `Ubicaz.`, `Prec. Unit.`, `Verfalldat.`):
#: the abbreviation every dictionary of a language makes, the word's first letters and a dot.
#: Not a dotted path's step (`lot.code`, `depositor.id`: a letter follows the dot).
_CUT_SHORT = re.compile(r"([A-Za-z]{3,})\.(?![A-Za-z])")


@lru_cache(maxsize=2048)
def _completion(w: str) -> str | None:
    """The vocabulary word a word cut short with a dot begins (`fourn` -> fournisseur,
    `ubicaz` -> ubicazione, `verfalldat` -> verfalldatum), when every such word means the
    same (`forn` -> fornitore, fornecedor: both supplier); None when the word is known as
    it is, or begins words of different meanings (`val`: value, validity), or none. Three
    letters at least: shorter cuts (`P.`, `Dt.`) are initials the vocabulary lists itself."""
    v = vocabulary()
    if w in v.abbreviations or w in v.known or _singular(w) in v.known or _singular(w) in v.abbreviations:
        return None
    hits = sorted((k for k in _completable() if k.startswith(w) and len(k) > len(w)), key=lambda k: (len(k), k))
    meanings = {v.abbreviations.get(k, (k,)) for k in hits}
    return hits[0] if len(meanings) == 1 else None


@lru_cache(maxsize=1)
def _completable() -> tuple[str, ...]:
    """Words a cut-short word may be the start of: the vocabulary's own words and its
    translations and abbreviations, none of stop words (`alla` is no cut of anything)."""
    v = vocabulary()
    return tuple(sorted(k for k in set(v.abbreviations) | set(v.known) if k.isalpha() and k not in v.stop))


#: A header's chunks: runs of letters and digits, or runs of Chinese/Japanese characters (which
#: have no spaces between words and are split by the vocabulary: 入库数量 -> 入库 数量).
_CJK_RANGE = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
#: Cyrillic letters are word letters too (a Russian stock sheet: `Кол-во`, `Срок годности`).
_CHUNKS = re.compile(f"[{_CJK_RANGE}]+|[0-9A-Za-z\u0400-\u04ff#$%]+")
_CJK = re.compile(f"[{_CJK_RANGE}]")


@lru_cache(maxsize=1024)
def _segment_cjk(run: str) -> tuple[str, ...]:
    """A run of CJK characters as the fewest vocabulary words that make it up, longest
    first; a run that does not split wholly into known words stays one (unknown) word."""
    v = vocabulary()
    if run in v.abbreviations:
        return (run,)
    n = len(run)
    best: list[tuple[str, ...] | None] = [None] * (n + 1)
    best[0] = ()
    for i in range(1, n + 1):
        for j in range(max(0, i - 8), i):
            p = run[j:i]
            if best[j] is not None and p in v.abbreviations:
                cand = best[j] + (p,)
                if best[i] is None or len(cand) < len(best[i]):
                    best[i] = cand
    return best[n] or (run,)


def _join_dotted(chunks: list[str], v: "Vocabulary") -> list[str]:
    """`Q.ty`, `Q.tà`, `N.ro`: an initial and the rest of one abbreviation written with a
    dot; joined when the whole is a known abbreviation."""
    out: list[str] = []
    i = 0
    while i < len(chunks):
        c = chunks[i]
        if len(c) == 1 and c.isalpha() and i + 1 < len(chunks):
            joined = (c + chunks[i + 1]).casefold()
            if joined in v.abbreviations:
                out.append(joined)
                i += 2
                continue
        out.append(c)
        i += 1
    return out


def _compound(w: str, v: "Vocabulary") -> list[str]:
    """A run-together word made of known words: `DRUGNAME` -> drug name, `lotnumber` -> lot
    number, `QTYONHAND` -> qty on hand, `Verfallsdatum` -> verfall datum (a German linking
    `s` between the parts is dropped), `Chargennummer` -> chargen nummer.

    The split uses the fewest parts, each a known word or abbreviation of at least three
    letters, or one of the two-letter words a header runs together (`on`, `by`, `id`, ...).
    A word that does not split wholly into known parts is kept as it is: a part of a word
    is never read on its own (`piler` is not `pile`)."""
    if len(w) < 5 or w in v.known or w in v.abbreviations:
        return [w]
    if any(b in v.known or b in v.abbreviations for b in (_singular(w), *_inflections(w))):
        return [w]  # a known word's other form (`perdue`, `recibidas`), not per + due
    return _segment(w, v) or [w]


def _is_part(p: str, v: "Vocabulary") -> bool:
    if len(p) == 2:
        return p in SHORT_PARTS
    return len(p) >= 3 and (p in v.known or p in v.abbreviations)


@lru_cache(maxsize=4096)
def _segment_cached(w: str) -> tuple[str, ...] | None:
    """The fewest known parts `w` is made of. A German linking `s` or `en` joins two nouns
    (`Verfalls|datum`, `Patienten|name`, `Rechnungs|nr`), so the part after one is a word of
    three letters or more or a number's abbreviation (NOUN_SHORT), never a two-letter
    particle: `recuento` is no `recu|en|to` (detect9)."""
    v = vocabulary()
    n = len(w)
    # best[i][linked]: the fewest parts making w[:i], the last one reached over a linking letter or not
    best: list[list[tuple[str, ...] | None]] = [[None, None] for _ in range(n + 1)]
    best[0][0] = ()
    for i in range(1, n + 1):
        for j in range(max(0, i - 24), i - 1):
            p = w[j:i]
            for linked_before in (0, 1):
                prev = best[j][linked_before]
                if prev is None:
                    continue
                if _is_part(p, v):
                    if linked_before and len(p) < 3 and p not in NOUN_SHORT:
                        continue
                    cand, linked = prev + (p,), 0
                elif len(p) >= 4 and p.endswith("s") and _is_part(p[:-1], v) and i < n:
                    cand, linked = prev + (p[:-1],), 1  # German linking s: Verfalls|datum
                elif len(p) >= 6 and p.endswith("en") and _is_part(p[:-2], v) and i < n:
                    cand, linked = prev + (p[:-2],), 1  # German linking en: Patienten|name
                else:
                    continue
                if best[i][linked] is None or len(cand) < len(best[i][linked]):
                    best[i][linked] = cand
    out = best[n][0]
    return out if out and len(out) > 1 else None


def _segment(w: str, v: "Vocabulary") -> list[str] | None:
    out = _segment_cached(w)
    return list(out) if out else None


#: Two-letter parts that are nouns (a number, an id): they may follow a German linking letter.
NOUN_SHORT = frozenset({"nr", "no", "id"})
#: Two-letter words that headers run together with known words (`QTYONHAND`, `PRODUCTID`,
#: `ENTEREDBY`, `LOTNO`).
SHORT_PARTS = frozenset({"on", "by", "id", "no", "nr", "of", "in", "to", "dt", "ea", "pt", "um",
                         "wh", "tx", "po", "de", "da", "di"})


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    raw = tomllib.loads(resources.files("lotsync.tables").joinpath("vocabulary.toml").read_text("utf-8"))
    expand: dict[str, tuple[str, ...]] = {}
    for table in ("abbreviations", "translations"):
        for k, v in raw[table].items():
            expand[strip_accents(k).casefold()] = tuple(v.split())
    phrases: dict[str, tuple] = {}
    vetoes: dict[str, tuple] = {}
    veto_last: dict[str, frozenset[str]] = {}
    known: set[str] = (set(raw["words"]["stop"]) | set(raw["words"]["person"]) | set(raw["words"]["packages"])
                       | set(raw["words"]["measures"])
                       | set(raw["words"]["flags"]) | set(raw["words"]["attributes"]))
    for f, spec in raw["fields"].items():
        ps = [(frozenset(p.split()), STRONG + 0.05 * (len(p.split()) - 1)) for p in spec["strong"]]
        ps += [(frozenset(p.split()), WEAK) for p in spec.get("weak", [])]
        phrases[f] = tuple(ps)
        vetoes[f] = tuple(frozenset(v.split()) for v in spec.get("veto", []))
        veto_last[f] = frozenset(spec.get("veto_last", []))
        for p, _ in ps:
            known |= p
        for v in vetoes[f]:
            known |= v
    for words in expand.values():
        known |= set(words)
    per_kind = {Kind(k): {f: tuple(frozenset(p.split()) for p in ps) for f, ps in fields.items()}
                for k, fields in raw.get("kinds", {}).items()}
    kind_vetoes = {Kind(k): {f: tuple(frozenset(p.split()) for p in ps) for f, ps in fields.items()}
                   for k, fields in raw.get("kind_vetoes", {}).items()}
    for fields in kind_vetoes.values():
        for ps in fields.values():
            for p in ps:
                known |= p
    for fields in per_kind.values():
        for ps in fields.values():
            for p in ps:
                known |= p
    return Vocabulary(expand, frozenset(known | set(expand)), frozenset(raw["words"]["stop"]),
                      frozenset(raw["words"]["person"]), frozenset(raw["words"]["packages"]),
                      frozenset(raw["words"]["measures"]), frozenset(raw["words"]["moves"]), frozenset(raw["words"]["flags"]),
                      frozenset(raw["words"]["attributes"]),
                      {f: frozenset(next(iter(p)) for p, w in ps if len(p) == 1 and w >= STRONG)
                       for f, ps in phrases.items()}, phrases, vetoes, veto_last, per_kind, kind_vetoes,
                      _index_phrases(phrases))


def _index_phrases(phrases: dict[str, tuple]) -> dict[str, tuple]:
    index: dict[str, list] = {}
    for f, ps in phrases.items():
        for i, (p, w) in enumerate(ps):
            index.setdefault(min(p), []).append((f, i, p, w))
    return {k: tuple(v) for k, v in index.items()}


def _unprefixed(header: str) -> str | None:
    """`no_cidadao` -> `nome cidadao`, `dt_nascimento` -> `data nascimento` (PREFIX_WORDS);
    None when the header has no such prefix, or `no_` counts (`no_of_units`, `no_doses`)."""
    m = _PREFIXED.fullmatch(header)
    if m is None:
        return None
    prefix, rest = m.group(1), m.group(2)
    if prefix == "no":
        v = vocabulary()
        first, *more = rest.split("_")
        counted = _singular(first) in v.packages or bool(set(v.abbreviations.get(first, (first,))) & {
            "units", "dose", "doses", "quantity", "piece", "item", "items"})
        if first == "of" or counted and (not more or more[0] in v.moves):
            return None  # `no_of_units`, `no_doses`, `no_units_received`: a count
    return f"{PREFIX_WORDS[prefix]} {rest.replace('_', ' ')}"


def _singular(w: str) -> str:
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")) and w != "units":
        return w[:-1]
    return w


def _inflections(w: str) -> tuple[str, ...]:
    """Base forms to try for a word the vocabulary lacks, as a reader of French, Spanish,
    Portuguese and Italian would: feminine and plural endings (`utilisée` -> utilise,
    `recibida` -> recibido, `contadas` -> contado, `ricevuta` -> ricevuto, `usate` ->
    usato), and English past participles (`transferred` -> transfer). Only a word of five
    letters or more is tried (short words are too ambiguous); `ancienne` -> ancien."""
    if len(w) < 5:
        return ()
    out: list[str] = []
    base = w[:-1] if w.endswith("s") else w
    if base.endswith("ee"):
        out.append(base[:-1])  # utilisee -> utilise
    if base.endswith("nne"):
        out.append(base[:-2])  # ancienne -> ancien (French feminine of -en)
    if base.endswith("e"):
        out += [base[:-1], base[:-1] + "o"]  # recue -> recu; usate -> usato (plural)
    if base.endswith("a"):
        out.append(base[:-1] + "o")  # recibida -> recibido
    if base.endswith("i"):
        out.append(base[:-1] + "o")  # ricevuti -> ricevuto
    if base != w:
        out.append(base)
    if w.endswith("ed") and len(w) >= 6:
        # English past participles: `transferred` -> transfer, `reconciled` -> reconcile
        out += [w[:-2], w[:-1]] + ([w[:-3]] if w[-3] == w[-4] else [])
    return tuple(out)


@lru_cache(maxsize=64)
def _fuzzy_choices(n: int) -> tuple[str, ...]:
    """The known words a word of `n` letters may be a slip of, in a fixed (sorted) order.

    Only lengths that can reach the cutoff: the edit distance is at least the difference in
    length, so a word of length L is within reach only when |L - n| <= (1 - cutoff) * max(L, n).
    Holding a word against these alone decides as holding it against all of them, in a
    fraction of the time (the first 30 rows of every column are read as headers, most cells
    being names and codes the vocabulary lacks). The order is sorted so that a tie between two
    known words is broken the same in every run (a frozenset's order follows the hash seed)."""
    slack = 1 - FUZZY_CUTOFF / 100
    by_length = _known_by_length()
    return tuple(sorted(k for length, ks in by_length.items()
                        if abs(length - n) <= slack * max(length, n) + 1e-9 for k in ks))


@lru_cache(maxsize=1)
def _known_by_length() -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    for k in vocabulary().known:
        out.setdefault(len(k), []).append(k)
    return {n: tuple(ks) for n, ks in out.items()}


#: German `von` and Italian `da` after a participle name who did it (`Verabreicht von`,
#: `Erfasst von`, `Somministrato da`: by), as Spanish `por`, French `par` and Dutch `door` do
#: always. Elsewhere `von` is where stock came from (`Von`, `Von Lager`) and `da` is "of the".
AGENT_PREPOSITIONS = frozenset({"von", "da"})
#: German `am` after a participle is the day it happened (`Gebucht am`, `Erstellt am`: booked
#: on, created on; detect10): a date, as `given on` is, never the person the participle names.
DATE_PREPOSITIONS = frozenset({"am"})
#: What a participle before such a preposition is read as: a movement or a record of one.
PARTICIPLES = frozenset({"administered", "injected", "given", "used", "recorded", "entered", "performed",
                         "counted", "checked", "applied", "treated", "dispensed", "received", "delivered",
                         "signed", "created by", "created", "approved"})


#: Spanish and Portuguese `por`, French `par` are "by" (`Aplicado por`, `Saisi par`), but
#: before a package or a unit they are "per" (`Unidades por caja`, `Precio por unidad`, `Prix
#: par unité`): a rate, never a person. Only after a word (what the rate is of): a header
#: that starts `Par` is an English par level (`Par Vials`, `Par Boxes`, `Par Level`: the
#: stock kept, in packages), never units per package nor a person: it names no field.
RATE_PREPOSITIONS = frozenset({"por", "par"})
PER_WHAT = frozenset({"unit", "units", "package", "piece", "dose", "item", "vial", "box", "syringe", "ampule",
                      "pen", "kit", "pack", "bottle", "tube", "cartridge", "case", "carton", "bag", "blister",
                      "ml", "mg", "each"})


#: Short forms that are a stop word inside a phrase (`Prix d'un flacon`: an article) but a
#: field's abbreviation when they are the whole header (detect10: `UN`/`UN.`, Portuguese and
#: Spanish unidade/unidad, a fiscal note's unit column).
ALONE_ABBREVIATIONS = {"un": ("unit",)}


@lru_cache(maxsize=4096)
def header_words(header: str) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """(expanded words, the header's own words, whether a spelling slip was corrected)."""
    v = vocabulary()
    own = split_words(header)
    if own and own[0] == "par":  # `Par Level`, `Par Vials`: the stock kept, no field read
        return (), tuple(own), False
    if len(own) == 1 and own[0] in ALONE_ABBREVIATIONS:  # `UN.`: the unit, where `un` is an article
        return ALONE_ABBREVIATIONS[own[0]], tuple(own), False
    if len(own) >= 2 and own[-1] in AGENT_PREPOSITIONS and set(header_words(own[-2])[0]) & PARTICIPLES:
        own = [*own[:-1], "by"]  # `Verabreicht von`: administered by
    if len(own) >= 2 and own[-1] in DATE_PREPOSITIONS and set(header_words(own[-2])[0]) & PARTICIPLES:
        own = [*own[:-1], "date"]  # `Gebucht am`: the date it was booked, never who booked it
    own = [("per" if w in RATE_PREPOSITIONS and 0 < i < len(own) - 1 and set(header_words(own[i + 1])[0]) & PER_WHAT
            else w) for i, w in enumerate(own)]  # `Unidades por caja`, `Prix par unité`: per
    out: list[str] = []
    fuzzy = False
    for w in own:
        if w in v.person:
            out.append(w)  # a role word is never translated away (`Initials` is no `initial`)
            continue
        if w in v.abbreviations:
            out.extend(v.abbreviations[w])
            continue
        s = _singular(w)
        if s in v.abbreviations:
            out.extend(v.abbreviations[s])
            continue
        if w in v.known or s in v.known:
            out.append(w if w in v.known else s)
            continue
        base = next((b for b in _inflections(w) if b in v.abbreviations or b in v.known), None)
        if base is not None:
            out.extend(v.abbreviations.get(base, (base,)))
            continue
        if len(w) >= 5 and w.isascii():
            hit = process.extractOne(w, _fuzzy_choices(len(w)), scorer=OSA.normalized_similarity,
                                     score_cutoff=FUZZY_CUTOFF / 100)
            if hit is not None:
                fixed = hit[0]
                out.extend(v.abbreviations.get(fixed, (fixed,)))
                fuzzy = True
                continue
        out.append(w)
    return tuple(out), tuple(own), fuzzy


#: Things a number of is how many (`Número de dosis`, `num_unidades`): doses, units, pieces.
#: Not packages: `# of Packs` alone names no movement (a receiving log's packs sit beside the
#: units received); with a movement word a package count is read as ever (`Nº de frascos
#: recibidos`).
COUNTABLE = frozenset({"dose", "doses", "units", "piece", "pieces"})
#: A rank is which one, never how many (`Rang de la dose`).
RANK_WORDS = frozenset({"rang", "rank", "rango"})


def _count_of_things(words: tuple[str, ...], v: "Vocabulary") -> tuple[str, ...]:
    """A number of countable things is how many of them, a number of a thing is its
    identifier (detect9): `Número de dosis`, `num_unidades`,
    `nro_doses_do_lote` (the lot's number of doses) are a quantity, as `Number of doses` is,
    where `Número de lote` stays the lot's number. Not on a visit log: a vaccination
    record's `Número de dosis` is which dose it was (1st, 2nd), its rank, no amount given, as
    `Rang de la dose` is. Read as (quantity, the things, what
    qualifies them), what they are of (`do lote`: of the lot) dropped: it names whose they
    are, not what the column holds."""
    content = [w for w in words if w not in v.stop]
    if len(content) < 2 or content[0] != "number":
        return words
    thing = content[1]
    if thing not in COUNTABLE:
        return words
    i = words.index("number")
    rest = list(words[i + 1:])
    j = rest.index(thing)
    tail = rest[j + 1:]
    if "of" in tail:
        tail = tail[:tail.index("of")]
    return (*words[:i], "quantity", *rest[:j + 1], *tail)


@lru_cache(maxsize=8192)
def read_header(header: str, kind: Kind, count_of_things: bool = True) -> tuple[FieldGuess, ...]:
    """Every field of any kind the header may name (best first), read as a person would.
    `count_of_things=False` reads the words as they are, without `_count_of_things`."""
    if header.rstrip().endswith("?"):
        return ()  # `Expired?`, `Cold chain OK?`: a question is answered yes or no, a flag
    ref = _REFERENCE.fullmatch(header)
    noun = (ref.group(1) or ref.group(2) or ref.group(3) or ref.group(4)) if ref else None
    noun = noun or _unprefixed(header)
    words, own, fuzzy = header_words(noun or header)
    if not words:
        return ()
    v = vocabulary()
    if count_of_things and kind is not Kind.VISITS and not (own and own[0] in RANK_WORDS):
        counted = _count_of_things(words, v)  # on a visit, a dose's number is its rank (`Número de dosis`: 2nd)
        if counted != words:
            plain = read_header(header, kind, False)
            if plain and plain[0].field == "quantity":
                # `Number of Units`, `# of Doses`: the vocabulary's own quantity phrase, read
                # as it was (rewritten it fell to a bare `Qty`'s score and lost to the vials)
                return plain
            words = counted
    ws = ws_plain = frozenset(words)
    # `vialSizeInUnits`, `Box Size`: a package's size is the units per package
    ws_pack = ws | {"package"} if ws & v.packages else ws
    if ws & v.flags:
        return ()  # `Allow negative stock`, `Is Expired`: a yes/no flag
    content = [w for w in words if w not in v.stop and w not in {"$", "%"}]
    # `Use By`, `Best By`, `Sell By`, `Haltbar bis`: a date a product is good until, not a person
    date_by = ws & v.person == {"by"} and bool(ws & DATE_BY)
    is_person = bool(ws & v.person) and not date_by
    # `Vials Received`, `Syringes Used`, `Boxes on hand`: packages moved or held are a number
    # of units (for the quantity fields only; `# of Packs` alone names no movement)
    packs = ws & v.packages
    attribute = bool(ws & v.attributes)
    # a bare plural (`Syringes`) on a visit log is what was given; on a receiving log a bare
    # `Boxes` sits beside the units received and is not the quantity
    plural = kind is Kind.VISITS and len(content) == 1 and len(own) == 1 and own[0].endswith("s")
    ws_units = ws | {"units"} if packs and (ws & v.moves or plural) and not ws & {"unit", "units"} else ws
    # `green_kg`, `mL`, `Qty (kg)`: an amount measured in a unit of mass or volume is a quantity
    # (for the quantity fields only; `per` still vetoes one: `Cost per mL` is a price per mL)
    measures = ws & v.measures
    if measures:
        ws_units = ws_units | {"quantity"}
    guesses: list[FieldGuess] = []
    kind_extra = v.per_kind.get(kind, {})
    found: dict[str, list[tuple[int, frozenset[str], float]]] = {}
    for word in ws_units | ws_pack:  # the phrases sharing a word with the header (Vocabulary.phrase_index)
        for f, i, p, w in v.phrase_index.get(word, ()):
            found.setdefault(f, []).append((i, p, w))
    for f in set(found) | set(kind_extra):
        ws = ws_units if f in QUANTITY_FIELDS else ws_pack if f == "units_per_package" else ws_plain
        best, matched = 0.0, frozenset()
        for _, p, w in sorted(found.get(f, ()), key=lambda c: c[0]):  # in the field's own order
            if p <= ws and (w > best or (w == best and len(p) > len(matched))):
                best, matched = w, p
        for p in kind_extra.get(f, ()):
            # a kind's own phrase wins unless a longer (more specific) phrase already
            # matched: `Date de facture` stays an invoice date on a purchase sheet
            wgt = WEAK + 0.2
            if p <= ws and ((wgt >= best and len(p) >= len(matched)) or len(p) > len(matched)):
                best, matched = max(best, wgt), p
        if not best:
            continue
        if f in NAMED_FIELDS and "name" in ws and "name" not in matched and len(matched) == 1 \
                and best >= STRONG and not ws & NAME_PARTS:
            # `store_name`, `Drug Name`, `Doctor Name`: a thing's name names it, as the listed
            # two-word phrases do (`Location Name`, `Supplier Name`); so `store_name` beats the
            # reference `store_id` beside it (a code the sheet also keeps)
            best, matched = best + 0.05, matched | {"name"}
        if any(vp <= ws and not vp <= matched for vp in v.vetoes.get(f, ())):
            continue  # a veto word that is part of the deciding phrase vetoes nothing
        if any(vp <= ws for vp in v.kind_vetoes.get(kind, {}).get(f, ())):
            continue  # `Doses Wasted` on a visit log is not the dose given, whatever phrase named it
        if content and content[-1] in v.veto_last.get(f, ()) and content[-1] not in matched:
            continue  # the head noun names something else: `Product Code`, `Dose Number`
        if own and own[0] in HEAD_FIRST and content and content[0] in v.veto_last.get(f, ()) \
                and content[0] not in matched:
            continue  # the same head noun put first (French, Spanish): `Code produit`, `ID Producto`
        if is_person and f not in PERSON_FIELDS:
            continue
        if date_by and f in PERSON_FIELDS | {"staff"}:
            continue  # `sellby`, `Eat By`: a date, never the person a bare `by` names (detect8)
        if ref is not None and f in NOT_REFERENCED:
            continue  # `doseId`, `receiptId`: a record's reference holds no amount or date
        if f == "product" and len(content) > 1 and content[-1] in PRODUCT_ATTRIBUTES and "name" not in ws:
            # `productBrand`, `vaccine_brand`: the product's attribute, not the product; but a
            # name is no attribute (`Nombre comercial`: the trade name, head noun first, detect9)
            continue
        if f in PERSON_FIELDS | {"supplier"} and attribute:
            # `Patient Height`, `Provider Email`: the person's attribute, not the person; and a
            # business's (`Supplier Address`, `CNPJ do fornecedor`: detect9), not the business
            continue
        # Words that explain the header besides the deciding phrase: another of the field's own
        # one-word names (`Item Description`, `Lot Batch`), a movement qualifying a quantity
        # (`Menge verabreicht`, `Receipt Qty`), a package counted (`Vials Received`).
        also = v.single[f] if best >= STRONG else frozenset()
        if f in QUANTITY_FIELDS:
            also = also | (v.moves & MOVE_OF[f]) | (packs if "units" in matched else frozenset())
        if f in QUANTITY_FIELDS or f == "unit":
            also = also | measures  # `Remaining (mL)`; `Unit (mL)` is the unit column
        explained = sum(1 for w in content if w in matched or w in also)
        coverage = explained / len(content) if content else 1.0
        if best < STRONG and coverage < 1.0:
            continue  # a weak word counts only alone: `Name`, not `Manufacturer Name`
        score = best * (0.7 + 0.3 * coverage) * (0.9 if fuzzy else 1.0)
        decided = tuple(w for w in dict.fromkeys(words) if w in matched or w in also)
        guesses.append(FieldGuess(f, round(score, 4), decided, fuzzy))
    # ties broken by a fixed order, never by set iteration (which changes with the hash
    # seed): money before a count, so a bare `Total` or `Montant` is an amount of money
    guesses.sort(key=lambda g: (-g.score, g.field not in TIE_FIRST, g.field))
    return tuple(guesses)
