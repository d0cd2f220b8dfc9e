"""Find capitalised names in sentences: the raw material of the offline actor list.

A name is a run of capitalised words, possibly joined by "of", "for", "de"... ("University of
Plymouth", "Department for Energy Security"), never across punctuation. Titles inside a run
("Russian President Vladimir Putin") are split off as the role; a possessive ends a run
("Tidewater Energy's chief engineer") unless the run continues in capitals ("Ellery Fishermen's
Association"). The first word of a sentence is capitalised anyway, so it only counts when the
article never uses it in lower case and it is not a common function word ("The", "But").
Months and weekdays are never names. The word lists below are English; other languages still get
capitalised runs, just with fewer hints about their kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.analysis.text import STOPWORDS, wordset

_TOKEN = re.compile(r"[^\W\d_](?:[\w’'.-]*\w)?\.?|\d[\w,.-]*")
CONNECTORS = wordset("of for de del della da do dos du van von der den la le al bin ibn y")
TITLES = wordset(
    """President Vice Mr Mr. Mrs Mrs. Ms Ms. Mx Dr Dr. Prof Prof. Professor Mayor Sir Dame Lord Lady
    Rev Rev. Reverend Sen Sen. Senator Gov Gov. Governor Rep Rep. Representative Minister
    Secretary Chancellor Judge Justice Gen Gen. General Col Col. Colonel Capt Capt. Captain Lt Lt.
    Lieutenant Sgt Sgt. Sergeant Admiral Chairman Chairwoman Chair CEO King Queen Prince Princess
    Pope Councillor Councilor Ambassador Premier Chief Deputy Foreign Prime State Commissioner
    Inspector Detective Officer Coach Bishop Archbishop Cardinal Rabbi Imam Sheikh Emir Speaker
    Leader Director Spokesperson Spokesman Spokeswoman Administrator Attorney Commander
    Superintendent Treasurer Marshal Senior"""
)
# Words that end a title phrase when they precede a name: "Secretary of State Antony Blinken".
PERSON_TITLES = TITLES - {"State", "Foreign", "Prime", "Vice", "Deputy", "Chief"}
MONTHS_DAYS = wordset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday"""
)
# Capitalised at the start of a sentence but never names.
COMMON_STARTERS = wordset(
    """the a an but and or so yet for nor if as at in on by to from with without after before
    during while when where why how what who which that this these those there here it its he
    she they we i you his her their our my your not no nobody none every each all some many
    most more much both either neither although though because since until unless however
    meanwhile instead still also even just only then now today tonight yesterday tomorrow
    earlier later last next first second third finally together other another such one two
    three four five six seven eight nine ten according despite among between against"""
)
DEMONYMS = wordset(
    """american british english scottish welsh irish french german italian spanish portuguese
    dutch belgian swiss austrian polish czech russian ukrainian chinese japanese korean indian
    pakistani iranian iraqi israeli palestinian syrian turkish egyptian saudi african european
    asian australian canadian mexican brazilian argentine nigerian kenyan western eastern
    northern southern norwegian swedish danish finnish hungarian romanian bulgarian serbian
    croatian georgian armenian colombian venezuelan peruvian chilean argentinian indonesian
    malaysian vietnamese thai cambodian mongolian jordanian lebanese tunisian algerian libyan
    ethiopian somali belarusian estonian latvian lithuanian slovenian bosnian albanian
    macedonian greek cypriot taiwanese afghan"""
)
COUNTRIES = wordset(
    """afghanistan albania algeria argentina armenia australia austria azerbaijan bangladesh
    belarus belgium bolivia brazil britain bulgaria cambodia canada chile china colombia croatia
    cuba cyprus denmark ecuador egypt england estonia ethiopia finland france georgia germany
    ghana greece hungary iceland india indonesia iran iraq ireland israel italy japan jordan
    kazakhstan kenya kosovo kuwait latvia lebanon libya lithuania luxembourg malaysia mexico
    moldova mongolia morocco myanmar nepal netherlands nigeria norway pakistan palestine panama
    peru philippines poland portugal qatar romania russia rwanda scotland serbia singapore
    slovakia slovenia somalia spain sudan sweden switzerland syria taiwan thailand tunisia
    turkey uganda ukraine venezuela vietnam wales yemen zambia zimbabwe america us u.s u.s.
    usa u.s.a uk u.k. u.k"""
) | frozenset(
    {
        "united states",
        "united kingdom",
        "south africa",
        "north korea",
        "south korea",
        "new zealand",
        "saudi arabia",
        "czech republic",
        "united arab emirates",
        "sri lanka",
        "russian federation",
        "people's republic of china",
    }
)
ORG_WORDS = wordset(
    """association council department university ministry party institute academy organisation
    organization agency company corporation corp inc ltd llc plc group bank fund foundation
    committee commission office service services times post news press herald gazette journal
    house energy power airlines motors labs court parliament congress senate army navy police
    federation union board authority administration society church trust club league network
    school college hospital government cabinet bureau centre center alliance coalition
    partners holdings industries technologies systems media"""
) | wordset("nato un eu who fbi cia nasa imf opec bbc cnn")
PLACE_WORDS = wordset(
    """point narrows port town city ocean sea river bay street road avenue island islands
    mountain mountains lake harbour harbor coast valley county province region gulf strait
    peninsula square park bridge airport station district village beach"""
)


@dataclass(frozen=True, slots=True)
class Mention:
    """One occurrence of a name: `tokens` without titles; `start`/`end` are paragraph offsets."""

    tokens: tuple[str, ...]
    paragraph: int
    sentence: int  # index of the sentence in the article
    start: int
    end: int
    titles: tuple[str, ...]  # title words inside the run ("Russian President")
    after_the: bool  # preceded by "the": "the Kremlin", "the Admiral Gorshkov"

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def _clean(token: str) -> tuple[str, bool]:
    """Token without its possessive or a sentence-final full stop; and whether it was possessive."""
    for suffix in ("'s", "’s"):
        if token.endswith(suffix):
            return token[: -len(suffix)], True
    if token.endswith(("'", "’")):
        return token[:-1], True
    if token.endswith(".") and not _keeps_dot(token):
        return token[:-1], False
    return token, False


def _strip_dot(token: str) -> str:
    return token[:-1] if token.endswith(".") and not _keeps_dot(token) else token


def _keeps_dot(token: str) -> bool:
    core = token[:-1]
    return len(core) == 1 or "." in core or core in {"Mr", "Mrs", "Ms", "Dr", "Prof", "St", "Jr"}


def _capitalised(token: str) -> bool:
    """Starts with a capital, and is not a compound adjective ("English-language")."""
    return token[:1].isupper() and re.search(r"-[^\W\d_A-Z]", token) is None


def find_mentions(
    text: str,
    *,
    paragraph: int,
    sentence: int,
    offset: int,
    lowercase_vocab: frozenset[str],
) -> list[Mention]:
    """Name mentions in one sentence (`offset` = where the sentence starts in its paragraph)."""
    tokens = list(_TOKEN.finditer(text))
    mentions: list[Mention] = []
    i = 0
    while i < len(tokens):
        if not _capitalised(tokens[i].group()) or tokens[i].group().casefold() in MONTHS_DAYS:
            i += 1
            continue
        run, i = _run(text, tokens, i)
        mentions.extend(
            _split_run(
                text,
                tokens,
                run,
                paragraph=paragraph,
                sentence=sentence,
                offset=offset,
                lowercase_vocab=lowercase_vocab,
            )
        )
    return mentions


def _run(text: str, tokens: list[re.Match[str]], i: int) -> tuple[list[int], int]:
    """Indexes of one run of capitalised tokens starting at i; and where to continue."""
    run = [i]
    j = i + 1
    while j < len(tokens):
        gap = text[tokens[j - 1].end() : tokens[j].start()]
        if gap != " ":
            break
        _, possessive = _clean(tokens[j - 1].group())
        word = tokens[j].group()
        if possessive and len(run) == 1:
            break  # "Russia's National Security Council": the possessor is its own name
        if possessive and not _capitalised(word):
            break
        if _capitalised(word) and word.casefold() not in MONTHS_DAYS:
            run.append(j)
            j += 1
            continue
        # Connectors join two capitalised words: "University of Plymouth", "of the".
        k = j
        while k < len(tokens) and tokens[k].group() in CONNECTORS | {"the"}:
            if text[tokens[k - 1].end() : tokens[k].start()] != " ":
                break
            k += 1
        joins_org = tokens[j].group() != "for" or any(
            _strip_dot(tokens[r].group()).casefold() in ORG_WORDS for r in run
        )  # "Department for Energy Security", but not "Miller for Denver"
        if (
            k > j
            and k < len(tokens)
            and joins_org
            and tokens[j].group() != "the"
            and text[tokens[k - 1].end() : tokens[k].start()] == " "
            and _capitalised(tokens[k].group())
        ):
            run.extend(range(j, k + 1))
            j = k + 1
            continue
        break
    return run, j


def _split_run(
    text: str,
    tokens: list[re.Match[str]],
    run: list[int],
    *,
    paragraph: int,
    sentence: int,
    offset: int,
    lowercase_vocab: frozenset[str],
) -> list[Mention]:
    # Only the last word loses its possessive: "Ellery Fishermen's Association" keeps it.
    words = [_strip_dot(tokens[k].group()) for k in run]
    words[-1] = _clean(tokens[run[-1]].group())[0]
    run, words = _drop_sentence_start(text, tokens, run, words, lowercase_vocab)
    if not words:
        return []
    before = text[: tokens[run[0]].start()].rstrip()
    after_the = before.casefold().endswith(" the") or before.casefold() == "the"
    # A caption glued to its alt text: "... Vladimir Putin Chinese foreign policy official".
    while len(words) > 1 and words[-1].casefold() in DEMONYMS:
        run, words = run[:-1], words[:-1]
    split = _split_titles(run, words)
    if split is None:
        return []  # only a title ("the President")
    run, words, titles = split
    while words and words[-1] in CONNECTORS:
        run, words = run[:-1], words[:-1]
    if not words or _junk(words):
        return []
    start = tokens[run[0]].start()
    end = tokens[run[-1]].start() + len(words[-1])
    return [
        Mention(
            tokens=tuple(words),
            paragraph=paragraph,
            sentence=sentence,
            start=offset + start,
            end=offset + end,
            titles=titles,
            after_the=after_the,
        )
    ]


def _drop_sentence_start(
    text: str,
    tokens: list[re.Match[str]],
    run: list[int],
    words: list[str],
    lowercase_vocab: frozenset[str],
) -> tuple[list[int], list[str]]:
    """Without a sentence's capitalised first word when it is not a name ("The", "Speaking"),
    and without connectors left in front ("Most of the G3P")."""
    # The start of a sentence, or of a quotation inside one ('concluded, "The LM ...').
    preceding = text[: tokens[run[0]].start()].rstrip()
    if (not preceding or preceding[-1] in '"“«‘([') and _common_start(words, lowercase_vocab):
        run, words = run[1:], words[1:]
    while words and words[0] in CONNECTORS | {"the"}:
        run, words = run[1:], words[1:]
    return run, words


def _common_start(words: list[str], lowercase_vocab: frozenset[str]) -> bool:
    head = words[0].casefold()
    return (
        head in COMMON_STARTERS
        or head in STOPWORDS
        or head in lowercase_vocab
        or (len(words) > 1 and head.endswith(("ing", "ly")))
    )


def _split_titles(
    run: list[int], words: list[str]
) -> tuple[list[int], list[str], tuple[str, ...]] | None:
    """The name after its titles ("U.S. Secretary of State Antony J. Blinken" -> titles "U.S.
    Secretary of State", name "Antony J. Blinken"); None when the run is only a title."""
    last_title = max((n for n, w in enumerate(words) if w.rstrip(".") in TITLES), default=-1)
    if any(w.casefold() in ORG_WORDS for w in words[last_title + 1 :]):
        last_title = -1  # "Chinese Foreign Ministry", "State Department": an organisation
    # "Secretary of Defense James Schlesinger": the title runs through "of <Word>".
    while 0 <= last_title < len(words) - 3 and words[last_title + 1] in CONNECTORS:
        last_title += 2
    if last_title == len(words) - 1:
        return None
    titles: tuple[str, ...] = ()
    if last_title >= 0:
        titles = tuple(words[: last_title + 1])
        run, words = run[last_title + 1 :], words[last_title + 1 :]
    if words and words[0] in CONNECTORS:
        # "President of ABC": the title is someone else's; "ABC" is the name here.
        run, words, titles = run[1:], words[1:], ()
    return run, words, titles


def _junk(words: list[str]) -> bool:
    if len(words) == 1:
        word = words[0].casefold()
        return (
            len(word.rstrip(".")) < 2
            or word in DEMONYMS
            or word in MONTHS_DAYS
            or word in COMMON_STARTERS
            or word.endswith("ese")
        )
    return all(w.casefold() in DEMONYMS for w in words)
