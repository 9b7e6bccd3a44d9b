// sayso chat page: asks POST /v1/context with the conversation, renders citations and
// quotes, and opens GET /v1/documents/{id} with the cited span highlighted.
"use strict";

const state = { messages: [], busy: false, documents: new Map() };
const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

async function api(path, options) {
  const response = await fetch(path, options);
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (body.error && body.error.message) || `HTTP ${response.status}`;
    throw new Error(message);
  }
  return body;
}

// Text of [start, end) with the given spans (absolute offsets) wrapped in <mark>.
function markedText(text, offset, spans, className) {
  const fragment = document.createDocumentFragment();
  let cursor = 0;
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  for (const span of sorted) {
    const from = Math.max(span.start - offset, cursor);
    const to = Math.min(span.end - offset, text.length);
    if (to <= from) continue;
    fragment.append(text.slice(cursor, from));
    const mark = el("mark", className, text.slice(from, to));
    fragment.append(mark);
    cursor = to;
  }
  fragment.append(text.slice(cursor));
  return fragment;
}

function citeButton(citation) {
  const button = el("button", "cite-open", String(citation.n));
  button.type = "button";
  button.title = `Open source [${citation.n}] in the article`;
  button.dataset.n = String(citation.n);
  button.addEventListener("click", () => openCitation(citation));
  return button;
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}

function quoteCard(quote, citation) {
  const card = el("div", "quote-card");
  card.append(el("p", "quote-text", quote.text));
  const who = el("div", "quote-who");
  who.append(el("div", "avatar", initials(quote.speaker.name)));
  const names = el("div");
  names.append(el("div", "quote-speaker", quote.speaker.name));
  const role = [quote.speaker.title, quote.speaker.organization]
    .filter((part, i, all) => part && !(i === 1 && all[0].includes(part)))
    .join(" · ");
  if (role) names.append(el("div", "quote-role", role));
  who.append(names);
  if (citation) who.append(citeButton(citation));
  card.append(who);
  return card;
}

function passageCard(citation) {
  const card = el("div", "passage");
  card.dataset.passageId = citation.passage_id;
  const head = el("div", "passage-head");
  head.append(citeButton(citation));
  head.append(el("span", "passage-title", citation.title || citation.doc_id));
  if (citation.source) head.append(el("span", "passage-source", citation.source));
  card.append(head);
  const text = el("p", "passage-text");
  text.append(markedText(citation.text, citation.start, citation.highlights, ""));
  card.append(text);
  const read = el("button", "read-link", "Read in article →");
  read.type = "button";
  read.addEventListener("click", () => openCitation(citation));
  card.append(read);
  return card;
}

// The extractive answer: the highlighted sentences of the best passage.
function answerText(citation) {
  if (!citation) return "";
  const parts = citation.highlights.map((s) =>
    citation.text.slice(s.start - citation.start, s.end - citation.start));
  return (parts.join(" ") || citation.text).trim();
}

function renderReply(reply, body) {
  reply.replaceChildren();
  if (body.rewritten) {
    const searched = el("div", "searched", "Searched for ");
    searched.append(el("b", "", body.query));
    reply.append(searched);
  }
  const citations = body.citations;
  if (!citations.length) {
    reply.append(el("p", "empty", "No passage in the articles matches that question."));
    return "";
  }
  const answer = el("p", "answer", answerText(citations[0]));
  answer.append(citeButton(citations[0]));
  reply.append(answer);

  const byQuote = new Map();
  for (const c of citations) for (const id of c.quote_ids) byQuote.set(id, c);
  if (body.quotes.length) {
    reply.append(el("div", "section-label", "Who said it"));
    const quotes = el("div", "quotes");
    for (const quote of body.quotes) quotes.append(quoteCard(quote, byQuote.get(quote.id)));
    reply.append(quotes);
  }
  reply.append(el("div", "section-label", `Sources (${citations.length})`));
  const passages = el("div", "passages");
  for (const citation of citations) passages.append(passageCard(citation));
  reply.append(passages);
  return answerText(citations[0]);
}

async function ask(question) {
  if (state.busy || !question.trim()) return;
  state.busy = true;
  $("send").disabled = true;
  const welcome = $("welcome");
  if (welcome) welcome.remove();
  const thread = $("thread");
  thread.append(el("div", "turn-user", question));
  const reply = el("div", "reply");
  reply.append(el("div", "loading", "Searching the articles"));
  thread.append(reply);
  reply.scrollIntoView({ block: "end" });
  state.messages.push({ role: "user", content: question });
  try {
    const body = await api("/v1/context", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ messages: state.messages, k: 4, max_tokens: 800 }),
    });
    const answer = renderReply(reply, body);
    state.messages.push({ role: "assistant", content: answer || "No answer found." });
  } catch (error) {
    state.messages.pop();
    reply.replaceChildren(el("p", "error", `Sorry: ${error.message}`));
  } finally {
    state.busy = false;
    $("send").disabled = false;
    $("question").focus();
  }
}

async function openCitation(citation) {
  const reader = $("reader");
  reader.hidden = false;
  $("reader-title").textContent = citation.title || citation.doc_id;
  $("reader-source").textContent = citation.source;
  const body = $("reader-body");
  body.replaceChildren(el("div", "loading", "Opening the article"));
  try {
    let doc = state.documents.get(citation.doc_id);
    if (!doc) {
      doc = await api(`/v1/documents/${encodeURIComponent(citation.doc_id)}`);
      state.documents.set(citation.doc_id, doc);
    }
    body.replaceChildren(markedText(doc.text, 0, [citation], "cite"));
    body.dataset.docId = doc.id;
    const mark = body.querySelector("mark.cite");
    if (mark) mark.scrollIntoView({ block: "center" });
  } catch (error) {
    body.replaceChildren(el("p", "error", `Could not open the article: ${error.message}`));
  }
}

function reset() {
  state.messages = [];
  $("thread").replaceChildren();
  $("reader").hidden = true;
  $("question").focus();
}

async function status() {
  const node = $("status");
  try {
    const ready = await api("/readyz");
    node.textContent = `${ready.documents} article(s) · ${ready.passages} passages`;
    node.className = "status ok";
  } catch (error) {
    node.textContent = error.message;
    node.className = "status bad";
  }
}

document.addEventListener("DOMContentLoaded", () => {
  const input = $("question");
  $("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = input.value;
    input.value = "";
    ask(question);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      $("composer").requestSubmit();
    }
  });
  for (const chip of document.querySelectorAll(".chip")) {
    chip.addEventListener("click", () => ask(chip.textContent));
  }
  $("reset").addEventListener("click", reset);
  $("reader-close").addEventListener("click", () => { $("reader").hidden = true; });
  status();
});
