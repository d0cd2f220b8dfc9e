"""Who is in the article: key actors found by heuristics, without a model.

Steps: find capitalised names in every sentence (`names.find_mentions`); merge mentions of the
same actor ("Antony J. Blinken" = "Antony Blinken", "Okafor" -> "Helen Okafor", "Wang" -> "Wang
Yi", "Tidewater" -> "Tidewater Energy"); decide the kind from word lists and cues (titles ->
person, "Association"/"University"/"Energy"... -> organisation, a country list, "the X" -> not a
person); attribute quoted speech to speakers (`"..." X said`, `said X`, `X said ... "..."`, `he
said` after a person, a second quote in the same paragraph); read roles from appositions
("Moira Keane, chair of the Ellery Fishermen's Association,"), from "<role>, X," and from titles
("Russian President"); and describe what each did from their first sentence as a subject.
Every person who is quoted, speaks or is the subject of a story sentence gets a slot before
any organisation or country; within that and after it, actors are ranked by mentions weighted
by kind, plus quotes, statements and a known role; at most MAX_ACTORS, with few countries and
places.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from bot.analysis.models import Actor, ActorKind, Quote
from bot.analysis.offline.furniture import is_byline, is_credit, is_date_line
from bot.analysis.offline.names import (
    COUNTRIES,
    MONTHS_DAYS,
    ORG_WORDS,
    PERSON_TITLES,
    PLACE_WORDS,
    Mention,
    find_mentions,
)
from bot.analysis.offline.sentences import Parsed, Sentence, parse
from bot.analysis.quotes import MIN_WORDS
from bot.analysis.text import STOPWORDS, normalize, word_count, wordlist, wordset
from bot.domain.article import Article

MAX_ACTORS = 9  # "about eight": a story's main people, organisations and countries
MAX_QUOTES = 3
DID_MAX_WORDS = 40
KIND_WEIGHT: dict[str, float] = {
    "person": 1.6,
    "organisation": 1.3,
    "country": 0.8,
    "other": 0.4,
}
# Places and other things ("the Kremlin", "Cold War") must recur to be listed at all.
OTHER_MIN_MENTIONS = 4
# At most this many of a kind, so places and countries do not crowd out the people.
KIND_CAP: dict[str, int] = {"country": 3, "other": 2}
# Actors whose role and statements are worked out (the rest cannot reach the top places).
SHORTLIST = 40

SPEECH_VERBS = wordlist(
    "said says say told tells added adds noted notes called calls warned warns argued argues "
    "emphasized emphasised stressed claimed claims wrote writes insisted insists explained "
    "asked replied responded shouted declared announced hailed urged suggested described "
    "quoted continued acknowledged admitted agreed disagreed complained recalled predicted "
    "according saying"
)
_VERB = "|".join(SPEECH_VERBS)
# After a name: optional possessive-free apposition, a few filler words, then a speech verb.
_SUBJECT_OF_SPEECH = re.compile(
    rf"^(?:,[^\"“”]{{1,200}}?,)?(?:\s+[\w’'-]+){{0,3}}?\s+(?:{_VERB})\b", re.IGNORECASE
)
# Stricter, as evidence that a name is a person: the verb right after it or its apposition.
_SPEAKS = re.compile(
    r"^(?:,[^\"“”,]{1,120},)?\s+(?:also\s+)?(?:said|says|told|tells|argued|argues|added|"
    r"warned|warns|insisted|explained|wrote|writes|recalled|asked|replied)\b"
)
_SPEECH_NEAR = re.compile(rf"\b(?:{_VERB})\b", re.IGNORECASE)
_SPOKESPERSON = re.compile(
    r"\b(?:spokesperson|spokesman|spokeswoman|representative|statement)\s+(?:for|from|of)\s+"
    r"(?:the\s+)?([\w’'-]+)",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"^\W*(?:he|she)\b", re.IGNORECASE)
_QUOTE_SPAN = re.compile(r'"([^"\n]+)"|“([^”\n]+)”|«([^»\n]+)»|„([^“”\n]+)[“”]')
_APPOSITION = re.compile(
    r"^,\s+(?P<article>(?:the|a|an)\s+)?(?P<role>[^,;:\"“”()]+?)"
    r"(?=,|;|:|\s+(?:who|which|whose|that)\b|[.!?](?:\s|$)|$)"
)
_NOT_APPOSITION = wordset(
    """left right center centre top bottom who which whose that and but or in on at for with
    however also both who said says told according now then"""
)
_ROLE_NOUNS = wordset(
    """official chair chief head secretary fellow president mayor diplomat spokesperson
    spokesman spokeswoman expert analyst leader minister envoy ambassador resident member
    director founder owner editor professor ecologist scientist economist engineer lawyer
    councillor councillors councilor officer commander general adviser advisor candidate
    aide deputy captain coach"""
)
_CLAUSE_OPENERS = wordset("and or but of to in on at for with by from as that which who whose")


def _is_role_head(word: str) -> bool:
    """Does this word name what a person is ("engineer", "chair", "spokesperson")?"""
    word = word.casefold().strip(",.")
    if word in _ROLE_NOUNS:
        return True
    if word in STOPWORDS or len(word) < 5:
        return False
    return word.endswith(("ist", "ists", "ian", "ians", "person", "man", "woman")) or (
        len(word) >= 6 and word.endswith(("er", "or", "ers", "ors"))
    )


def _has_role_head(phrase: str) -> bool:
    """The words before the first preposition end with a role noun: "senior research fellow"."""
    head = re.split(r"\s+(?:of|on|at|in|for|with|from|to|who|that|which)\s+", phrase)[0]
    return bool(head.split()) and _is_role_head(head.split()[-1])


@dataclass
class _Group:
    key: tuple[str, ...]
    mentions: list[Mention] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    kind: ActorKind = "other"
    backrefs: int = 0

    def name(self) -> str:
        """The most frequent full form ("Helen Okafor", not "Okafor"); ties: shorter, earlier."""
        forms = Counter(m.text for m in self.mentions)
        first_seen = {m.text: n for n, m in reversed(list(enumerate(self.mentions)))}
        best = [f for f in forms if len(f.split()) > 1] or list(forms)
        return min(best, key=lambda f: (-forms[f], len(f.split()), first_seen[f]))

    @property
    def count(self) -> int:
        return len(self.mentions) + self.backrefs


def _key(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Tokens that identify an actor: case-folded, without initials ("J.") or apostrophe styles."""
    key = tuple(
        normalize(t).rstrip(".")
        for t in tokens
        if not (len(t.rstrip(".")) == 1 and t[:1].isupper())
    )
    return key or tuple(normalize(t) for t in tokens)


def offline_actors(article: Article) -> list[Actor]:
    parsed = parse(article)
    lowercase = frozenset(
        w.casefold() for w in re.findall(r"\b[^\W\d_A-Z][\w’'-]*", article.text) if w.islower()
    )
    mentions = _all_mentions(article, parsed, lowercase)
    groups = _group(mentions)
    for group in groups:
        group.kind = _kind(group, article)
    by_mention = {id(m): g for g in groups for m in g.mentions}
    _attribute_quotes(article, parsed, groups, by_mention)
    _count_backrefs(article, groups)
    actors: list[Actor] = []
    per_kind: Counter[str] = Counter()
    for group in _ranked(article, parsed, groups):
        if per_kind[group.kind] >= KIND_CAP.get(group.kind, MAX_ACTORS):
            continue
        per_kind[group.kind] += 1
        actors.append(
            Actor(
                name=group.name(),
                kind=group.kind,
                role=_role(article, parsed, group),
                did=_did(article, parsed, group),
                quotes=group.quotes[:MAX_QUOTES],
            )
        )
        if len(actors) == MAX_ACTORS:
            break
    return actors


def _ranked(article: Article, parsed: Parsed, groups: list[_Group]) -> list[_Group]:
    """Actors in the order they get a slot: every person who is quoted, speaks or is the
    subject of a sentence first (the story's players), then everyone else, each by score."""
    eligible = [
        (order, g)
        for order, g in enumerate(groups)
        if not (g.kind == "other" and g.count < OTHER_MIN_MENTIONS)
    ]
    # Roles and statements add at most 3 points: only the front-runners need them.
    eligible.sort(key=lambda item: (-_base_score(item[1]), item[0]))
    ranked: list[tuple[bool, float, int, _Group]] = []
    for order, group in eligible[:SHORTLIST]:
        role = _role(article, parsed, group)
        statements = _statements(article, parsed, group)
        if group.kind == "person" and group.count < 2 and not (group.quotes or role or statements):
            continue  # a name dropped in passing
        score = _base_score(group) + min(statements, 2) + (1.0 if role else 0.0)
        player = group.kind == "person" and bool(
            group.quotes or statements or _acts(article, parsed, group)
        )
        ranked.append((player, score, -order, group))
    ranked.sort(key=lambda item: item[:3], reverse=True)
    return [item[3] for item in ranked]


def _acts(article: Article, parsed: Parsed, group: _Group) -> bool:
    """Is the actor the subject of a story sentence ("Putin hailed ties...")?"""
    return any(
        _predicate(article.paragraph(m.paragraph), parsed.sentences[m.sentence], m)
        for m in group.mentions
        if not parsed.sentences[m.sentence].furniture
    )


def _base_score(group: _Group) -> float:
    return group.count * KIND_WEIGHT[group.kind] + min(len(group.quotes), MAX_QUOTES)


def _statements(article: Article, parsed: Parsed, group: _Group) -> int:
    """Sentences in which the actor says something: `X said`, `said X`, `according to X`."""
    found: set[int] = set()
    for m in group.mentions:
        sentence = parsed.sentences[m.sentence]
        paragraph = article.paragraph(m.paragraph)
        after = paragraph[m.end : sentence.end]
        before = paragraph[sentence.start : m.start]
        if _SUBJECT_OF_SPEECH.match(after) or re.search(
            r"\b(?:said|says|according to)\s+(?:\w+\s+){0,2}$", before
        ):
            found.add(m.sentence)
    return len(found)


# --- mentions and groups -------------------------------------------------------------------------


def _all_mentions(article: Article, parsed: Parsed, lowercase: frozenset[str]) -> list[Mention]:
    out: list[Mention] = []
    for sentence in parsed.sentences:
        text = sentence.text
        if is_credit(text) or is_date_line(text) or is_byline(text):
            continue
        out.extend(
            find_mentions(
                text,
                paragraph=sentence.paragraph,
                sentence=sentence.index,
                offset=sentence.start,
                lowercase_vocab=lowercase,
            )
        )
    return out


def _is_country(tokens: tuple[str, ...]) -> bool:
    return " ".join(normalize(t) for t in tokens) in COUNTRIES


def _group(mentions: list[Mention]) -> list[_Group]:
    groups: dict[tuple[str, ...], _Group] = {}
    singles: list[tuple[Mention, tuple[str, ...]]] = []
    for m in mentions:
        key = _key(m.tokens)
        if len(key) > 1 or _is_country(m.tokens):
            groups.setdefault(key, _Group(key)).mentions.append(m)
        else:
            singles.append((m, key))
    # Where a lone word may point: people by surname, then by first word ("Wang" -> "Wang
    # Yi"), organisations by their first word ("Tidewater" -> "Tidewater Energy").
    by_last: dict[str, list[_Group]] = {}
    by_first: dict[str, list[_Group]] = {}
    org_by_first: dict[str, list[_Group]] = {}
    for key, g in groups.items():
        if _org_like(key):
            org_by_first.setdefault(key[0], []).append(g)
        elif not _is_country(g.mentions[0].tokens):
            by_last.setdefault(key[-1], []).append(g)
            by_first.setdefault(key[0], []).append(g)
    for m, key in singles:
        word = key[0]
        target = None
        if not _is_country(m.tokens) and word not in MONTHS_DAYS:
            pick = by_last.get(word) or by_first.get(word) or org_by_first.get(word)
            target = max(pick, key=lambda g: len(g.mentions)) if pick else None
        if target is None:
            groups.setdefault(key, _Group(key)).mentions.append(m)
        else:
            target.mentions.append(m)
    ordered = sorted(groups.values(), key=lambda g: min(m.sentence for m in g.mentions))
    for g in ordered:
        g.mentions.sort(key=lambda m: (m.paragraph, m.start))
    return ordered


def _org_like(key: tuple[str, ...]) -> bool:
    return any(t in ORG_WORDS for t in key)


def _kind(group: _Group, article: Article) -> ActorKind:
    """Country and organisation from word lists; a person needs evidence: a title ("Mayor"), the
    surname used alone ("Okafor"), a person's role in apposition ("X, chair of ..."), or speech
    ("X said"; quote attribution adds more later). Anything else ("Cape Town") is "other"."""
    key = group.key
    if _is_country(group.mentions[0].tokens):
        return "country"
    if _org_like(key):
        return "organisation"
    if any(t in PLACE_WORDS for t in key):
        return "other"
    not_the = [m for m in group.mentions if not m.after_the]
    if len(not_the) * 2 < len(group.mentions):
        return "other"  # "the Kremlin", "the Admiral Gorshkov": things, not people
    if any(t.rstrip(".") in PERSON_TITLES for m in not_the for t in m.titles):
        return "person"
    if len(key) > 1:
        if any(_key(m.tokens) == key[-1:] for m in group.mentions):
            return "person"  # "Helen Okafor" ... "Okafor said"
        for m in not_the:
            after = article.paragraph(m.paragraph)[m.end :]
            role = _apposition(after)
            if (role and _has_role_head(role)) or _SPEAKS.match(after[:240]):
                return "person"
    return "other"


# --- quotes ----------------------------------------------------------------------------------


@dataclass
class _Paragraph:
    """One story paragraph while its quotes are attributed."""

    number: int
    text: str
    sentences: list[Sentence]
    mentions: list[Mention]  # names in it, in order


def _attribute_quotes(
    article: Article, parsed: Parsed, groups: list[_Group], by_mention: dict[int, _Group]
) -> None:
    mentions_by_para: dict[int, list[Mention]] = {}
    for g in groups:
        for m in g.mentions:
            mentions_by_para.setdefault(m.paragraph, []).append(m)
    for items in mentions_by_para.values():
        items.sort(key=lambda m: m.start)
    for number, text in enumerate(article.paragraphs, start=1):
        if number not in parsed.furniture:
            para = _Paragraph(
                number, text, parsed.in_paragraph(number), mentions_by_para.get(number, [])
            )
            _attribute_in_paragraph(para, parsed, groups, by_mention)


def _attribute_in_paragraph(
    para: _Paragraph, parsed: Parsed, groups: list[_Group], by_mention: dict[int, _Group]
) -> None:
    previous: _Group | None = None
    spans = list(_QUOTE_SPAN.finditer(para.text))
    for n, span in enumerate(spans):
        content = next(g for g in span.groups() if g is not None)
        sentence = next((s for s in para.sentences if s.start <= span.start() < s.end), None)
        if sentence is None or word_count(content) < MIN_WORDS:
            continue  # scare quotes ("heroic") are not speech
        next_quote = spans[n + 1].start() if n + 1 < len(spans) else len(para.text)
        after = para.text[span.end() : min(sentence.end, next_quote)]
        group = _speaker(para, sentence, span, after, parsed, groups, by_mention)
        group = group or previous  # a second quote in the paragraph: the same speaker
        if group is None or not _can_speak(group):
            continue
        previous = group
        quote = Quote(text=content.strip().rstrip(","), paragraph=para.number)
        if quote not in group.quotes:
            group.quotes.append(quote)


def _speaker(
    para: _Paragraph,
    sentence: Sentence,
    span: re.Match[str],
    after: str,
    parsed: Parsed,
    groups: list[_Group],
    by_mention: dict[int, _Group],
) -> _Group | None:
    """Who says the quote: named after it, "he said" after it, or named before it."""
    if _PRONOUN.match(after):
        if _SPEECH_NEAR.search(after[:60]):
            return _last_person(parsed, groups, para.number, span.start())
    else:
        mention = _speaker_after(after, span.end(), para.mentions)
        if mention is not None:
            return by_mention[id(mention)]
    mention = _speaker_before(para.text, sentence, span.start(), para.mentions)
    if mention is not None:
        return by_mention[id(mention)]
    return _spokesperson_for(para.text[sentence.start : span.start()], groups)


def _can_speak(group: _Group) -> bool:
    """Countries and places don't speak; a name that does is a person ("Biden said")."""
    if group.kind == "country":
        return False
    if group.kind == "other":
        if any(t in PLACE_WORDS for t in group.key) or not any(
            not m.after_the for m in group.mentions
        ):
            return False
        group.kind = "person"
    return True


def _speaker_after(after: str, end: int, local: list[Mention]) -> Mention | None:
    """`"...," Keane said` / `"...," said Keane` / `"...," the paper quoted Zhang as saying`."""
    window = after[:120]
    for m in local:
        if not end <= m.start < end + len(window):
            continue
        pre = window[: m.start - end]
        post = after[m.end - end :]
        if post.startswith(("'s", "’s")):
            continue  # "Moscow's forces": a possessor, not a speaker
        if (_SPEECH_NEAR.search(pre) and word_count(pre) <= 8) or _SUBJECT_OF_SPEECH.match(post):
            return m
    return None


def _speaker_before(
    paragraph: str, sentence: Sentence, quote_start: int, local: list[Mention]
) -> Mention | None:
    """`Okafor, who ..., called the decision "..."`, `Wang said that “...”`."""
    before = [m for m in local if sentence.start <= m.start and m.end <= quote_start]
    for m in reversed(before):
        if _SUBJECT_OF_SPEECH.match(paragraph[m.end : quote_start]):
            return m
    return None


def _spokesperson_for(before: str, groups: list[_Group]) -> _Group | None:
    """ "A spokesperson for the department ... said "..."": the organisation speaks."""
    m = _SPOKESPERSON.search(before)
    if m is None:
        return None
    named = normalize(m.group(1))
    for g in groups:
        if g.kind == "organisation" and (named in g.key or " ".join(g.key).startswith(named)):
            return g
    return None


def _last_person(
    parsed: Parsed, groups: list[_Group], paragraph: int, position: int
) -> _Group | None:
    """The person a "he"/"she" most likely refers to: the last one named before, in the story."""
    best: tuple[int, int] | None = None
    found: _Group | None = None
    for g in groups:
        if g.kind != "person":
            continue
        for m in g.mentions:
            if m.paragraph in parsed.furniture and m.paragraph != paragraph:
                continue
            if (m.paragraph, m.start) < (paragraph, position) and (
                best is None or (m.paragraph, m.start) > best
            ):
                best, found = (m.paragraph, m.start), g
    return found


def _count_backrefs(article: Article, groups: list[_Group]) -> None:
    """ "The association", "the department": later references to an organisation by its head."""
    after_the = Counter(m.casefold() for m in re.findall(r"\b[Tt]he ([a-z]+)\b", article.text))
    for g in groups:
        if g.kind == "organisation":
            heads = [t for t in (g.key[0], g.key[-1]) if t in ORG_WORDS]
            g.backrefs = after_the[heads[0]] if heads else 0


# --- roles and actions ---------------------------------------------------------------------


def _role(article: Article, parsed: Parsed, group: _Group) -> str:
    candidates: list[tuple[int, bool, int, str]] = []
    for n, m in enumerate(group.mentions):
        paragraph = article.paragraph(m.paragraph)
        story = m.paragraph not in parsed.furniture
        appositive = _apposition(paragraph[m.end :])
        if appositive:
            candidates.append((0, not story, n, appositive))
        before = _role_before(paragraph, m, group, parsed)
        if before:
            candidates.append((1, not story, n, before))
        if m.titles:
            candidates.append((2, not story, n, " ".join(m.titles)))
    if not candidates:
        return ""
    return min(candidates)[3]


def _apposition(after: str) -> str:
    m = _APPOSITION.match(after)
    if m is None:
        return ""
    role = m.group("role").strip()
    end = m.end("role")
    # "Institute of Russian, Eastern European and Central Asian Studies": a comma inside a name.
    while end < len(after) and after[end] == "," and after[end + 1 : end + 3].strip()[:1].isupper():
        nxt = re.match(r",\s+[^,;:\"“”()]+?(?=,|;|:|[.!?](?:\s|$)|$)", after[end:])
        if nxt is None:
            break
        role += nxt.group()
        end += nxt.end()
    first = role.split()[0] if role.split() else ""
    if not first:
        return ""
    if m.group("article") is None and (
        not first[:1].islower()
        or first.casefold() in _NOT_APPOSITION
        or first in SPEECH_VERBS
        or not _has_role_head(role)
    ):
        return ""
    if word_count(role) > 25 or first in SPEECH_VERBS:
        return ""
    return role


def _role_before(paragraph: str, m: Mention, group: _Group, parsed: Parsed) -> str:
    """ "Tidewater Energy's chief engineer, Rafael Duarte," or "spokesperson Wang Wenbin"."""
    sentence = parsed.sentences[m.sentence]
    before = paragraph[sentence.start : m.start]
    if m.titles:
        return ""
    # "The two councillors ..., Gwen Pryce and Tomasz Nowak": the role covers both names.
    before = re.sub(r"(?:[A-Z][\w’'.-]*\s+)+and\s+$", "", before)
    pre = re.search(r"(?:^|,\s)((?:[Tt]he |[Aa]n? )?[^,;\"“”]{3,90}),\s*$", before)
    if pre and word_count(pre.group(1)) <= 12:
        phrase = pre.group(1)
        head = re.split(r"\s+(?:who|that|which)\s+", phrase)[0].split()[-1]
        if _is_role_head(head) and not phrase.split()[-1][:1].isupper():
            return _one_of(re.sub(r"^(?:[Tt]he|[Aa]n?)\s+", "", phrase))
    # A role noun right before the name, with its modifiers: "Chinese Foreign Ministry
    # spokesperson", "the Bristol-based developer".
    words = before.rstrip().split(" ")
    if words and words[-1] and _is_role_head(words[-1]) and words[-1][:1].islower():
        taken = [words[-1]]
        for w in reversed(words[:-1]):
            if not w or w[-1] in ",;:" or w.casefold() in STOPWORDS or len(taken) >= 6:
                break
            taken.insert(0, w)
        return " ".join(taken)
    return ""


_SHARED_ROLE = re.compile(r"^(?:two|three|four|five|both)\s+(\w+?)s\b", re.IGNORECASE)


def _one_of(role: str) -> str:
    """One person's share of a role several hold: "two councillors who..." -> "councillor
    who..." (the role is read off the article, so it stays close to its words)."""
    return _SHARED_ROLE.sub(r"\1", role)


def _did(article: Article, parsed: Parsed, group: _Group) -> str:
    """What they did: the rest of their first sentence as a subject; else the sentence of their
    first quote; else the first sentence that names them."""
    fallback = ""
    for m in group.mentions:
        sentence = parsed.sentences[m.sentence]
        if sentence.furniture:
            continue
        predicate = _predicate(article.paragraph(m.paragraph), sentence, m)
        if predicate:
            return _clip(predicate)
        fallback = fallback or sentence.text
    for quote in group.quotes:
        for sentence in parsed.in_paragraph(quote.paragraph):
            if quote.text in sentence.text:
                return _clip(sentence.text)
    if group.kind in ("country", "other"):
        return ""  # a sentence that merely names a country says nothing it did
    return _clip(fallback or parsed.sentences[group.mentions[0].sentence].text)


def _predicate(paragraph: str, sentence: Sentence, m: Mention) -> str:
    before = paragraph[sentence.start : m.start]
    titles = " ".join(m.titles)
    if titles and before.rstrip().endswith(titles):
        before = before.rstrip()[: -len(titles)]
    before = before.strip()
    if before and not (before.endswith(",") and word_count(before) <= 12):
        return ""
    after = paragraph[m.end : sentence.end]
    if after.startswith(("'s", "’s")):
        return ""
    skip = re.match(r"^(?:,[^\"“”]{1,200}?,)?\s+", after)
    if skip is None:
        return ""
    rest = after[skip.end() :]
    first = rest.split(" ", 1)[0]
    if not first[:1].islower() or first in _CLAUSE_OPENERS:
        return ""
    return rest


def _clip(text: str) -> str:
    words = text.split()
    if len(words) <= DID_MAX_WORDS:
        return text
    cut = " ".join(words[:DID_MAX_WORDS])
    comma = max(cut.rfind(", "), cut.rfind("; "))
    if comma > len(cut) // 2:
        cut = cut[:comma]
    return cut.rstrip(",;: ") + "…"
