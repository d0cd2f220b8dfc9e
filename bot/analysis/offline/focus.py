"""The question's focus: what it asks for, read from its cues without a parser.

"What did Helen Okafor earn?" asks for an *earning*; if the article never uses "earn" in any
form, its closest sentence can be about Okafor but cannot say what she earned, and a span cut
from it ("Mayor") would be a confident wrong answer. The cues: "relation", the noun of "what is
the X of" ("budget"); "verb", the main verb after "did/does/will SUBJECT" in a what/which/how
question ("earn"); and, measured in `bench/offline_focus.py` only, "category" (the head noun of
"which X") and "verb_any". Words that name the kind of answer (year, number, city), generic ones
(thing, name, part) and light verbs (have, make) are left out; a focus counts as present in any
form (a crude stem, irregular forms, a misspelling of a long word).

Declining such questions outright costs SQuAD, whose answerable questions paraphrase the verb as
often as its unanswerable ones lack it (see the bench), so the engine only hedges: no span, the
closest passage quoted whole, and what the article never mentions named.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz, process

from bot.analysis.per_article import PerArticle
from bot.analysis.text import STOPWORDS, normalize, tokenize, wordlist, wordset
from bot.domain.article import Article

_AUX = wordset(
    "is are was were be been being am do does did has have had will would can could should "
    "may might must shall"
)
# Auxiliaries that are followed by a subject and then the main verb ("did Okafor earn").
_VERB_AUX = wordset("do does did will would can could should may might must shall has have had")
_DETERMINERS = wordset("the a an his her its their this that these those our my your")
_PREPOSITIONS = wordset(
    "of in on at by for from to with about against into over under between during after before "
    "through as than within without across since until upon among per like near due regarding "
    "concerning including according despite toward towards"
)
# Nouns that name the answer's kind rather than a thing the article must mention.
_ANSWER_KINDS = wordset(
    "year years date dates day days month months century centuries decade decades time times "
    "period periods era season number numbers amount amounts percentage percent proportion "
    "fraction share size population total person people persons individual individuals city "
    "cities country countries state states town towns place places region regions area areas "
    "many much long old far big large"
)
_GENERIC = wordset(
    "thing things kind kinds type types sort sorts name names part parts way ways one ones "
    "example examples term terms word words form forms aspect aspects role purpose reason "
    "reasons result results"
)
_LIGHT_VERBS = wordset(
    "have has had do does did make makes made get gets got take takes took give gives gave go "
    "goes went come comes came say says said tell tells told use uses used call called "
    "happen happens happened become becomes became mean means meant include includes included "
    "consider considered refer refers referred known like want wanted need needed"
)
_PARTICLES = wordset("down up out off away back")
_WH = wordset("what which who whom whose how where when why")
# The cues an absent focus is looked for in by default (see `focus_parts`).
DEFAULT_KINDS = ("relation", "verb")
_COPULA = wordset("is are was were")
_WORD = re.compile(r"[^\W\d_][\w’'-]*")
# Irregular forms, so "paid" in the article answers "pay" in the question.
_IRREGULAR = dict(
    pair.split(":")
    for pair in wordlist(
        "paid:pay won:win lost:lose built:build sold:sell bought:buy held:hold led:lead "
        "taught:teach spent:spend fought:fight wrote:write written:write began:begin "
        "begun:begin chose:choose chosen:choose grew:grow grown:grow knew:know found:find "
        "met:meet left:leave brought:bring thought:think caught:catch sent:send fell:fall "
        "rose:rise risen:rise ran:run struck:strike stood:stand drove:drive driven:drive "
        "ate:eat eaten:eat flew:fly flown:fly froze:freeze gave:give given:give kept:keep "
        "lent:lend meant:mean sang:sing sung:sing sank:sink spoke:speak spoken:speak "
        "stole:steal stolen:steal swore:swear sworn:swear threw:throw thrown:throw wore:wear "
        "worn:wear wound:wind born:bear bore:bear borne:bear dug:dig hid:hide "
        "hidden:hide shot:shoot sought:seek sat:sit slept:sleep fed:feed felt:feel "
        "heard:hear laid:lay lain:lie men:man women:woman children:child"
    )
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "ed", "es", "s")
MIN_STEM = 3
# Words this long are also found misspelt (rapidfuzz ratio at least FUZZY); shorter ones
# are too close to other words ("earn", "learn").
MIN_FUZZY = 6
FUZZY = 85
# A stem this long also matches longer words it begins ("compet" in "competition").
PREFIX_STEM = 5


def _plain_stem(word: str) -> str:
    """`stem` without the irregular forms: an irregular-looking word may be a verb of its own."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            base = word[: -len(suffix)]
            return base + "y" if suffix in ("ies", "ied") else base.rstrip("e")
    return word.rstrip("e") if len(word) > MIN_STEM else word


def stem(word: str) -> str:
    """A crude stem: irregular forms mapped, then one common suffix taken off."""
    return _plain_stem(_IRREGULAR.get(word, word))


def focus_words(question: str, kinds: tuple[str, ...] = DEFAULT_KINDS) -> tuple[str, ...]:
    """The words that say what the question asks for (normalised), in question order:
    `kinds` picks the cues (see `focus_parts`)."""
    parts = focus_parts(question)
    kept = [
        w
        for kind in kinds
        for w in parts[kind]
        if len(w) >= MIN_STEM and w not in STOPWORDS | _ANSWER_KINDS | _GENERIC | _LIGHT_VERBS
    ]
    return tuple(dict.fromkeys(kept))


def focus_parts(question: str) -> dict[str, list[str]]:
    """Candidate focus words by cue, before generic words are dropped: "category" (which/what
    X), "relation" (what is the X of), "verb" (the main verb of a what/which/how question) and
    "verb_any" (the main verb whatever the wh-word)."""
    raw = _WORD.findall(question.replace("’s", "").replace("'s", ""))
    words = [normalize(w) for w in raw]
    capital = [n > 0 and w[:1].isupper() for n, w in enumerate(raw)]
    parts: dict[str, list[str]] = {"category": [], "relation": [], "verb": [], "verb_any": []}
    wh: str | None = None
    for n, w in enumerate(words):
        if w in ("which", "what"):
            if n + 1 < len(words) and words[n + 1] in _COPULA:
                parts["relation"] += _relation_noun(words, capital, n + 2)
            else:
                parts["category"] += _head_noun(words, capital, n + 1)
        wh = wh or (w if w in _WH else None)
        if wh is not None and w in _VERB_AUX:
            verb = _main_verb(words, capital, n + 1)
            parts["verb_any"] += verb
            if wh in ("what", "which", "how"):
                parts["verb"] += verb
            break
    return parts


def _run(words: list[str], capital: list[bool], start: int) -> tuple[list[str], bool]:
    """Lowercase words from `start` up to an auxiliary, preposition, determiner or name;
    and whether an auxiliary ended it (then the run is a noun phrase, not noun + verb)."""
    run: list[str] = []
    for w, cap in zip(words[start:], capital[start:], strict=False):
        if w in _AUX:
            return run, True
        if cap or w in _PREPOSITIONS or w in _DETERMINERS or w in STOPWORDS:
            break
        run.append(w)
    return run, False


def _head_noun(words: list[str], capital: list[bool], start: int) -> list[str]:
    """ "which political party does" -> party; "which body endorsed the" -> body;
    "what kind of turbines" -> turbines."""
    while start + 1 < len(words) and words[start] in _GENERIC and words[start + 1] == "of":
        start += 2
    run, by_aux = _run(words, capital, start)
    if not run:
        return []
    if by_aux or len(run) == 1:
        return [run[-1]]
    return [run[-2]]  # the last word is the verb: "which body endorsed"


def _relation_noun(words: list[str], capital: list[bool], start: int) -> list[str]:
    """ "what is the budget of" -> budget; "what was the cost" -> cost."""
    if start >= len(words) or words[start] not in _DETERMINERS:
        return []
    run, _ = _run(words, capital, start + 1)
    return run[-1:]


def _main_verb(words: list[str], capital: list[bool], start: int) -> list[str]:
    """The verb after the subject: "did Helen Okafor earn" -> earn; "did the council vote
    on" -> vote; "does the environmental survey cost" -> cost."""
    while start < len(words) and (capital[start] or words[start] in _DETERMINERS):
        start += 1
    run, _ = _run(words, capital, start)
    if len(run) > 1 and run[-1] in _PARTICLES:
        run.pop()  # "shut down": the verb is "shut"
    return run[-1:]


Vocabulary = tuple[frozenset[str], frozenset[str], tuple[str, ...]]


def article_stems(article: Article) -> Vocabulary:
    """The article's word stems, word prefixes, and long words (for misspellings)."""
    words = set(tokenize(article.text))
    stems = frozenset(stem(w) for w in words)
    prefixes = frozenset(w[:PREFIX_STEM] for w in words if len(w) >= PREFIX_STEM)
    return stems, prefixes, tuple(sorted(w for w in words if len(w) >= MIN_FUZZY))


def absent_focus(
    vocabulary: Vocabulary, question: str, kinds: tuple[str, ...] = DEFAULT_KINDS
) -> tuple[str, ...]:
    """The question's focus words that the article (`article_stems`) uses in no form."""
    stems, prefixes, long_words = vocabulary
    out = []
    for word in focus_words(question, kinds):
        forms = {stem(word), _plain_stem(word)}  # "found": of "find", or of "founding"
        if any(
            s in stems or (len(s) >= PREFIX_STEM and s[:PREFIX_STEM] in prefixes) for s in forms
        ):
            continue
        if len(word) >= MIN_FUZZY and process.extractOne(
            word, long_words, scorer=fuzz.ratio, score_cutoff=FUZZY, processor=None
        ):
            continue  # misspelt in the question ("gaurentee")
        out.append(word)
    return tuple(out)


article_vocabulary = PerArticle(article_stems)
