"""Word lists the attribution rules key on: reporting verbs, pronouns, organisation nouns."""

from __future__ import annotations

# Lemmas of verbs that introduce speech or a stated position.
CUE_VERBS = frozenset(
    [
        "say",
        "tell",
        "add",
        "note",
        "stress",
        "underscore",
        "underline",
        "warn",
        "argue",
        "claim",
        "explain",
        "insist",
        "state",
        "announce",
        "emphasize",
        "emphasise",
        "highlight",
        "suggest",
        "urge",
        "predict",
        "acknowledge",
        "admit",
        "report",
        "write",
        "declare",
        "assert",
        "contend",
        "reply",
        "respond",
        "recall",
        "observe",
        "comment",
        "confirm",
        "deny",
        "reveal",
        "indicate",
        "maintain",
        "remark",
        "tweet",
        "post",
        "ask",
        "mention",
        "estimate",
        "agree",
        "vow",
        "promise",
        "pledge",
        "concede",
        "complain",
        "joke",
        "quip",
        "testify",
        "caution",
        "conclude",
        "believe",
        "think",
        "hope",
        "fear",
        "worry",
        "propose",
        "recommend",
        "charge",
        "allege",
        "accuse",
        "counter",
        "point",
        "call",
        "reiterate",
        "lament",
        "boast",
        "brag",
        "muse",
        "scoff",
        "shout",
        "yell",
        "tout",
        "predict",
        "forecast",
        "demand",
        "continue",
        "answer",
        "read",
        "echo",
        "confess",
        "chant",
        "scream",
        "exclaim",
        "plead",
        "quote",
        "cite",
    ]
)
# Verbs whose direct object is the reported content ("stressed the need to ...").
OBJECT_CUES = frozenset(
    [
        "stress",
        "underscore",
        "underline",
        "emphasize",
        "emphasise",
        "highlight",
        "note",
        "reiterate",
        "tout",
        "acknowledge",
        "admit",
        "deny",
        "confirm",
        "propose",
        "recommend",
        "predict",
        "forecast",
        "demand",
        "accuse",
        "announce",
        "cite",
        "mention",
        "tweet",
        "explain",
        "lament",
        "echo",
        "declare",
    ]
)
# Verbs that report a request or a commitment through an infinitive ("urged voters to
# stay home", "vowed to fight on").
INFINITIVE_CUES = frozenset(
    ["urge", "ask", "tell", "vow", "promise", "pledge", "agree", "propose", "demand", "warn"]
)
# Verbs that need a particle or preposition to be a cue, with the word that completes them.
PHRASAL_CUES = {"point": "out", "call": "for"}
# Manner-of-speaking verbs that frame only a quote in quote marks (`he whispered: “…”`),
# never reported speech: too vague to introduce a paraphrase.
QUOTE_ONLY_CUES = frozenset(
    [
        "whisper",
        "proclaim",
        "lecture",
        "interject",
        "boom",
        "mutter",
        "retort",
        "thunder",
        "gush",
        "snap",
        "cry",
    ]
)
# Verbs that frame a quote with `it` as their object (`As Milbank puts it, “…”`, `she
# worded it carefully: “…”`, `he summed it up: “…”`).
IT_CUES = frozenset(["put", "word", "phrase", "sum"])
# Verbs that are a cue for a quote with the particle `back` (`Rubio fired back: “…”`).
BACK_CUES = frozenset(["fire", "shoot", "hit", "push", "strike"])
# Nouns for a piece of speech or writing; a verb taking one as its object frames the quote
# that follows a colon (`Trump issued the following statement: “…”`).
SPEECH_NOUNS = frozenset(["statement", "message", "tweet", "remark", "memo", "note"])
# Texts and people (besides nouns in -er, -or, -ist, -ian, -man) that can be the source
# of a quote introduced by a colon (`From the report: “…”`).
SOURCE_NOUNS = frozenset(
    [
        "report",
        "letter",
        "study",
        "ad",
        "website",
        "ruling",
        "finding",
        "survey",
        "poll",
        "response",
        "footnote",
        "release",
        "filing",
        "editorial",
        "book",
        "article",
        "post",
        "document",
        "headline",
        "sign",
        "column",
        "official",
        "expert",
        "staff",
        "board",
        "resident",
        "respondent",
        "student",
        "president",
        "consultant",
        "assistant",
        "participant",
        "agent",
    ]
)
# Verbs that report content only through a `that`-clause (too ambiguous otherwise).
CLAUSE_ONLY = frozenset(["charge", "believe", "think", "hope", "fear", "worry"])

SINGULAR_PERSON = frozenset(["he", "she", "him", "her"])
PLURAL = frozenset(["they", "them", "we"])
NEUTER = frozenset(["it"])
PRONOUNS = SINGULAR_PERSON | PLURAL | NEUTER | frozenset(["i", "you"])

# Definite descriptions that refer back to an organisation named earlier ("the company").
ORG_NOUNS = frozenset(
    [
        "company",
        "firm",
        "group",
        "ministry",
        "agency",
        "department",
        "commission",
        "bank",
        "government",
        "campaign",
        "committee",
        "administration",
        "office",
        "organization",
        "organisation",
        "corporation",
        "council",
        "party",
        "bureau",
        "association",
        "institute",
        "university",
        "center",
        "centre",
        "union",
        "court",
        "regulator",
    ]
)

OPEN_MARKS = frozenset("“«„")
CLOSE_MARKS = frozenset("”»")
# Marks that open or close by position: the straight double mark, and two apostrophes
# typed for one (`''It's time,'' he said.`, as in some newspapers' archives).
STRAIGHT_MARKS = frozenset(['"', "''"])
SENTENCE_END = frozenset(".?!")
FINITE_TAGS = frozenset(["VBD", "VBZ", "VBP", "MD"])

GENDERED_PRONOUNS = {
    **dict.fromkeys(["he", "him", "his", "himself"], "m"),
    **dict.fromkeys(["she", "her", "hers", "herself"], "f"),
}
# Honorifics and role words that, right before a name, tell its gender.
GENDERED_WORDS = {
    **dict.fromkeys(
        [
            "mr",
            "sir",
            "spokesman",
            "chairman",
            "congressman",
            "businessman",
            "husband",
            "father",
            "son",
            "brother",
            "king",
            "prince",
            "actor",
            "uncle",
            "grandfather",
        ],
        "m",
    ),
    **dict.fromkeys(
        [
            "mrs",
            "ms",
            "miss",
            "madam",
            "spokeswoman",
            "chairwoman",
            "congresswoman",
            "businesswoman",
            "wife",
            "mother",
            "daughter",
            "sister",
            "queen",
            "princess",
            "actress",
            "aunt",
            "grandmother",
            "lady",
        ],
        "f",
    ),
}
