"""A deterministic "learning" model for :class:`tests.fakes.llm_server.FakeLLMServer`: it classifies support
tickets, and gets better with more worked examples in the prompt and with examples relevant to the input.

The task: every ticket names one keyword; each keyword belongs to one label (:data:`TOPICS`). The model
answers ``{"label": ..., "confidence": ...}``. Whether it is right is fixed per ticket: a difficulty
``d`` in [0, 1) from the ticket's hash, right when ``d < skill``, with

    skill = base + per_k * min(examples, 30) / 30 + bonus * (an example shares the ticket's keyword)

(:data:`SKILLS` per model id). So accuracy rises with k, per-input selection (which finds examples
with the same keyword) beats a static block at small k, and the large model beats the small one. A
wrong answer usually comes with low confidence (what a cascade escalates on); a small model without
structured output or a prefilled ``{`` sometimes breaks the JSON.

Prompt caching as the providers report it: a system prompt seen before is "read from the cache" —
on Bedrock only when the request carries a ``cachePoint`` (the first sighting is a cache write), on
OpenAI automatically once the system prompt is at least ``min_cache_words`` long.
"""

from __future__ import annotations

import hashlib
import html
import json
import random
import re
import threading

from tests.fakes.llm_server import FakeCall, FakeReply

TOPICS = {
    "billing": ["invoice", "refund", "charge", "payment", "card"],
    "login": ["password", "locked", "signin", "token", "username"],
    "shipping": ["parcel", "courier", "tracking", "delivery", "warehouse"],
}
LABELS = sorted(TOPICS)
KEYWORD_LABEL = {w: label for label, words in TOPICS.items() for w in words}
SKILLS = {"m-large": (0.72, 0.18, 0.08), "m-small": (0.50, 0.10, 0.05)}
_EXAMPLE = re.compile(r"<example><input>(.*?)</input><output>(.*?)</output></example>", re.S)
_FILLERS = ["again", "today", "this week", "since Monday", "for my order", "on the app", "after the update",
            "for the second time", "on my account", "right now"]


def keyword_of(text: str) -> str | None:
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in KEYWORD_LABEL:
            return word
    return None


def difficulty(text: str) -> float:
    return int(hashlib.sha256(text.strip().encode()).hexdigest()[:8], 16) / 2 ** 32


def ticket(rng: random.Random, keyword: str, n: int) -> str:
    return f"Ticket {n}: problem with my {keyword} {rng.choice(_FILLERS)}, {rng.choice(_FILLERS)}"


def make_data(pool_size: int = 150, test_size: int = 40, seed: int = 7) -> tuple[list[dict], list[dict]]:
    """(pool lines, test lines): ``{"input", "output", "label"}`` and ``{"id", "input", "answer"}``."""
    rng = random.Random(seed)
    words = [w for label in LABELS for w in TOPICS[label]]
    pool = []
    for i in range(pool_size):
        w = words[i % len(words)]
        label = KEYWORD_LABEL[w]
        pool.append({"input": ticket(rng, w, 1000 + i), "output": json.dumps({"label": label, "confidence": 1.0}),
                     "label": label})
    test = []
    for i in range(test_size):
        w = rng.choice(words)
        test.append({"id": f"t{i}", "input": ticket(rng, w, 5000 + i), "answer": KEYWORD_LABEL[w]})
    return pool, test


class LearningModel:
    """The responder: ``FakeLLMServer(responder=LearningModel())``."""

    def __init__(self, skills: dict | None = None, min_cache_words: int = 30):
        self.skills = skills or SKILLS
        self.min_cache_words = min_cache_words
        self._seen: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def __call__(self, call: FakeCall) -> FakeReply:
        if call.model == "m-judge":
            return self._judge(call)
        body = call.body
        system = call.system or ""
        user = call.prompt
        start, end = user.rfind("<input>"), user.rfind("</input>")
        text = html.unescape(user[start + len("<input>"):end] if 0 <= start < end else user)
        examples = [(html.unescape(i), html.unescape(o)) for i, o in _EXAMPLE.findall(system + "\n" + user)]
        keyword = keyword_of(text)
        label = KEYWORD_LABEL.get(keyword or "", LABELS[0])
        base, per_k, bonus = self.skills.get(call.model, (0.3, 0.0, 0.0))
        relevant = any(keyword and keyword in i.lower() and label in o for i, o in examples)
        skill = base + per_k * min(len(examples), 30) / 30 + bonus * relevant
        d = difficulty(text)
        right = d < skill
        answer = label if right else LABELS[(LABELS.index(label) + 1) % len(LABELS)]
        confidence = 0.93 if right else (0.45 if d < skill + 0.3 else 0.88)
        structured = "response_format" in body or "outputConfig" in body
        prefilled = bool(call.messages) and call.messages[-1] == ("assistant", "{")
        reply = json.dumps({"label": answer, "confidence": confidence})
        if not structured and call.model == "m-small" and d > 0.9:
            reply = f"The label is {answer}."  # free text breaks the JSON without a schema
        elif prefilled:
            reply = reply[1:]
        sys_words = len(system.split())
        msg_words = sum(len(t.split()) for _, t in call.messages)
        read = write = None
        key = (call.model, system)
        if call.api == "bedrock":
            marked = any(isinstance(b, dict) and "cachePoint" in b for b in body.get("system", []))
            if marked:
                with self._lock:
                    hit = key in self._seen
                    self._seen.add(key)
                read, write = (sys_words, 0) if hit else (0, sys_words)
            fresh = sys_words + msg_words - (read or 0) - (write or 0)
            return FakeReply(reply, input_tokens=fresh, cache_read_tokens=read, cache_write_tokens=write)
        if sys_words >= self.min_cache_words:
            with self._lock:
                hit = key in self._seen
                self._seen.add(key)
            read = sys_words if hit else 0
        return FakeReply(reply, input_tokens=sys_words + msg_words, cache_read_tokens=read)

    @staticmethod
    def _judge(call: FakeCall) -> FakeReply:
        """A judge that knows the truth: PASS when the answer's label is the ticket's."""
        prompt = call.prompt
        start, end = prompt.find("<input>"), prompt.find("</input>")
        text = html.unescape(prompt[start + 7:end]) if 0 <= start < end else prompt
        label = KEYWORD_LABEL.get(keyword_of(text) or "", "")
        a0, a1 = prompt.find("<answer>"), prompt.find("</answer>")
        try:
            answer = json.loads(prompt[a0 + 8:a1]).get("label") if 0 <= a0 < a1 else None
        except (ValueError, AttributeError):
            answer = None
        verdict = "PASS" if answer == label else "FAIL"
        return FakeReply(f"<reason>checked the label</reason><judgement>{verdict}</judgement>")
