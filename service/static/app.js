// sayso page: Ask (POST /v1/context with the conversation), Documents (list, open, add,
// delete), Quotes (by speaker, by topic) and Extract (POST /v1/extract, quotes marked).
// Text from the server is only ever set with textContent: never parsed as HTML.
"use strict";

const KEY_STORAGE = "sayso.apiKey";
const VIEWS = ["ask", "documents", "quotes", "extract"];
const state = {
  messages: [], busy: false, documents: new Map(), writes: "open",
  speaker: null, docCursor: null,
};
const $ = (id) => document.getElementById(id);

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(className, text, onClick) {
  const node = el("button", className, text);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

function apiKey() {
  return sessionStorage.getItem(KEY_STORAGE) || "";
}

// Every request carries the API key, when one was entered on the page.
async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (apiKey()) headers.set("Authorization", `Bearer ${apiKey()}`);
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const message = (body.error && body.error.message) || `HTTP ${response.status}`;
    throw new Error(message);
  }
  return body;
}

function postJSON(path, payload) {
  return api(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  });
}

// The server counts offsets in code points, JavaScript strings in UTF-16 units: map one to
// the other (the identity unless the text holds characters outside the BMP).
function unitIndex(text) {
  if (!/[\uD800-\uDFFF]/.test(text)) return (n) => n;
  const units = [0];
  for (const char of text) units.push(units[units.length - 1] + char.length);
  return (n) => units[Math.max(0, Math.min(n, units.length - 1))];
}

// `text` starts at code point `offset` of its document; `spans` (document offsets) are
// wrapped in <mark>; `decorate(mark, span)` may add a class or a title.
function markedText(text, offset, spans, className, decorate) {
  const fragment = document.createDocumentFragment();
  const at = unitIndex(text);
  let cursor = 0;
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  for (const span of sorted) {
    const from = Math.max(at(span.start - offset), cursor);
    const to = Math.min(at(span.end - offset), text.length);
    if (to <= from) continue;
    fragment.append(text.slice(cursor, from));
    const mark = el("mark", className, text.slice(from, to));
    if (decorate) decorate(mark, span);
    fragment.append(mark);
    cursor = to;
  }
  fragment.append(text.slice(cursor));
  return fragment;
}

function citeButton(citation) {
  const node = button("cite-open", String(citation.n), () => openCitation(citation));
  node.title = `Open source [${citation.n}] in the article`;
  node.dataset.n = String(citation.n);
  return node;
}

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}

function quoteCard(quote, action) {
  const card = el("div", "quote-card");
  card.dataset.quoteId = quote.id;
  card.append(el("p", "quote-text", quote.text));
  const who = el("div", "quote-who");
  who.append(el("div", "avatar", initials(quote.speaker.name)));
  const names = el("div", "quote-names");
  names.append(el("div", "quote-speaker", quote.speaker.name));
  const role = [quote.speaker.title, quote.speaker.organization]
    .filter((part, i, all) => part && !(i === 1 && all[0].includes(part)))
    .join(" · ");
  if (role) names.append(el("div", "quote-role", role));
  who.append(names);
  if (action) who.append(action);
  card.append(who);
  return card;
}

// ---- Ask ----------------------------------------------------------------------------

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
  card.append(button("read-link", "Read in article →", () => openCitation(citation)));
  return card;
}

// The extractive answer: the highlighted sentences of the best passage.
function answerText(citation) {
  if (!citation) return "";
  const at = unitIndex(citation.text);
  const parts = citation.highlights.map((s) =>
    citation.text.slice(at(s.start - citation.start), at(s.end - citation.start)));
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
    for (const quote of body.quotes) {
      const citation = byQuote.get(quote.id);
      quotes.append(quoteCard(quote, citation && citeButton(citation)));
    }
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
  const link = new URL(location.href);
  link.search = new URLSearchParams({ q: question }).toString();
  link.hash = "ask";
  history.replaceState(null, "", link);
  try {
    const body = await postJSON("/v1/context", { messages: state.messages, k: 4, max_tokens: 800 });
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

async function loadExamples() {
  const box = $("examples");
  try {
    const body = await api("/v1/examples?limit=6");
    box.replaceChildren(...body.examples.map((example) =>
      button("chip", example.question, () => ask(example.question))));
  } catch (error) {
    box.replaceChildren();
  }
}

function reset() {
  state.messages = [];
  $("thread").replaceChildren();
  $("reader").hidden = true;
  history.replaceState(null, "", `${location.pathname}#ask`);
  $("question").focus();
}

// ---- The reader: one document, with spans marked ------------------------------------

async function getDocument(docId) {
  let doc = state.documents.get(docId);
  if (!doc) {
    doc = await api(`/v1/documents/${encodeURIComponent(docId)}`);
    state.documents.set(docId, doc);
  }
  return doc;
}

// Open `docId` in the reader with `spans` marked; the first mark is scrolled to.
async function openDocument(docId, spans, className, decorate) {
  const reader = $("reader");
  reader.hidden = false;
  $("reader-title").textContent = docId;
  $("reader-source").textContent = "";
  const body = $("reader-body");
  body.replaceChildren(el("div", "loading", "Opening the article"));
  try {
    const doc = await getDocument(docId);
    $("reader-title").textContent = doc.title || doc.id;
    $("reader-source").textContent = doc.source;
    body.replaceChildren(markedText(doc.text, 0, spans, className, decorate));
    body.dataset.docId = doc.id;
    const mark = body.querySelector("mark");
    if (mark) mark.scrollIntoView({ block: "center" });
  } catch (error) {
    body.replaceChildren(el("p", "error", `Could not open the article: ${error.message}`));
  }
}

function openCitation(citation) {
  return openDocument(citation.doc_id, [citation], "cite");
}

function speakerTitle(mark, quote) {
  mark.title = quote.speaker.name;
}

// ---- Documents ----------------------------------------------------------------------

function canWrite() {
  return state.writes === "open" || (state.writes === "key" && apiKey() !== "");
}

function showWriteControls() {
  const note = $("doc-writes-note");
  $("doc-add").hidden = !canWrite();
  note.hidden = canWrite();
  note.textContent = state.writes === "key"
    ? "Enter the API key (top right) to add or delete documents."
    : "This server does not accept writes (it has no API key and is not on a local address).";
  for (const node of document.querySelectorAll(".doc-delete")) node.hidden = !canWrite();
}

function documentRow(doc) {
  const row = el("li", "doc-row");
  row.dataset.docId = doc.id;
  const open = button("doc-open", doc.title || doc.id, () => openStoredDocument(doc.id));
  const meta = el("div", "doc-meta", [doc.source, doc.published, `${doc.passages} passages`, doc.id]
    .filter(Boolean).join(" · "));
  const text = el("div", "doc-main");
  text.append(open, meta);
  const remove = button("ghost doc-delete", "Delete", () => deleteDocument(doc));
  remove.hidden = !canWrite();
  row.append(text, remove);
  return row;
}

async function loadDocuments(more = false) {
  const list = $("doc-list");
  if (!more) {
    state.docCursor = null;
    list.replaceChildren(el("li", "loading", "Loading"));
  }
  try {
    const query = state.docCursor ? `?cursor=${encodeURIComponent(state.docCursor)}` : "";
    const body = await api(`/v1/documents${query}`);
    if (!more) list.replaceChildren();
    list.append(...body.documents.map(documentRow));
    state.docCursor = body.next_cursor || null;
    $("doc-more").hidden = !state.docCursor;
  } catch (error) {
    list.replaceChildren(el("li", "error", error.message));
  }
}

async function openStoredDocument(docId) {
  let quotes = [];
  try {
    quotes = (await api(`/v1/quotes?doc_id=${encodeURIComponent(docId)}&limit=1000`)).quotes;
  } catch (error) { /* the article opens without its quotes marked */ }
  await openDocument(docId, quotes, "quote", speakerTitle);
}

async function deleteDocument(doc) {
  if (!confirm(`Delete “${doc.title || doc.id}” from the index?`)) return;
  try {
    await api(`/v1/documents/${encodeURIComponent(doc.id)}`, { method: "DELETE" });
    state.documents.delete(doc.id);
    if ($("reader-body").dataset.docId === doc.id) $("reader").hidden = true;
    await loadDocuments();
    status();
  } catch (error) {
    alert(`Could not delete: ${error.message}`);
  }
}

function slug(name) {
  const base = name.replace(/\.[^.]+$/, "").replace(/[^A-Za-z0-9._-]+/g, "-");
  return base.replace(/^[^A-Za-z0-9]+/, "").slice(0, 128);
}

async function readUpload() {
  const file = $("doc-file").files[0];
  if (!file) return;
  $("doc-text").value = await file.text();
  if (!$("doc-id").value) $("doc-id").value = slug(file.name);
}

async function addDocument(event) {
  event.preventDefault();
  const note = $("doc-add-status");
  const payload = {
    id: $("doc-id").value.trim(),
    text: $("doc-text").value,
    title: $("doc-title").value.trim(),
    source: $("doc-source").value.trim(),
  };
  $("doc-save").disabled = true;
  note.className = "note loading";
  note.textContent = "Indexing";
  try {
    const body = await postJSON("/v1/documents", payload);
    state.documents.delete(body.id);
    note.className = "note ok";
    note.textContent = `${body.id}: ${body.status} (${body.passages} passages in the index)`;
    $("doc-add").reset();
    await loadDocuments();
    status();
    loadSpeakers();
  } catch (error) {
    note.className = "note error";
    note.textContent = error.message;
  } finally {
    $("doc-save").disabled = false;
  }
}

// ---- Quotes -------------------------------------------------------------------------

async function loadSpeakers() {
  const list = $("speaker-list");
  try {
    const { quotes } = await api("/v1/quotes?limit=1000");
    const counts = new Map();
    for (const quote of quotes) counts.set(quote.speaker.name, (counts.get(quote.speaker.name) || 0) + 1);
    const names = [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const all = speakerButton(null, `All speakers`, quotes.length);
    list.replaceChildren(all, ...names.map(([name, n]) => speakerButton(name, name, n)));
  } catch (error) {
    list.replaceChildren(el("li", "error", error.message));
  }
}

function speakerButton(name, label, count) {
  const item = el("li");
  const node = button("speaker", label, () => {
    state.speaker = name;
    loadQuotes();
  });
  node.dataset.speaker = name || "";
  node.append(el("span", "count", String(count)));
  item.append(node);
  return item;
}

async function loadQuotes() {
  const topic = $("quote-topic").value.trim();
  for (const node of document.querySelectorAll(".speaker")) {
    node.classList.toggle("active", node.dataset.speaker === (state.speaker || ""));
  }
  const params = new URLSearchParams({ limit: "100" });
  if (state.speaker) params.set("speaker", state.speaker);
  if (topic) params.set("q", topic);
  const results = $("quote-results");
  const summary = $("quote-summary");
  results.replaceChildren(el("div", "loading", "Finding quotes"));
  try {
    const { quotes } = await api(`/v1/quotes?${params}`);
    const who = state.speaker ? ` by ${state.speaker}` : "";
    const about = topic ? `, most relevant to “${topic}” first` : "";
    summary.textContent = `${quotes.length} quote(s)${who}${about}`;
    results.replaceChildren(...quotes.map((quote) => quoteCard(quote,
      button("read-link", "In the article →",
        () => openDocument(quote.doc_id, [quote], "cite")))));
  } catch (error) {
    results.replaceChildren(el("p", "error", error.message));
  }
}

// ---- Extract ------------------------------------------------------------------------

async function extract(event) {
  event.preventDefault();
  const text = $("extract-text").value;
  const note = $("extract-status");
  note.className = "note loading";
  note.textContent = "Reading";
  try {
    const { quotes } = await postJSON("/v1/extract", { text });
    note.className = "note";
    note.textContent = `${quotes.length} quote(s) found`;
    $("extract-output").replaceChildren(markedText(text, 0, quotes, "quote", speakerTitle));
    $("extract-quotes").replaceChildren(...quotes.map((quote) => quoteCard(quote)));
    $("extract-result").hidden = false;
  } catch (error) {
    note.className = "note error";
    note.textContent = error.message;
  }
}

// ---- Views, status, start-up --------------------------------------------------------

const loaded = new Set();

function show(view) {
  if (!VIEWS.includes(view)) view = "ask";
  if (document.body.dataset.view && document.body.dataset.view !== view) $("reader").hidden = true;
  for (const name of VIEWS) $(`view-${name}`).hidden = name !== view;
  for (const tab of document.querySelectorAll(".tabs a")) {
    tab.classList.toggle("active", tab.dataset.view === view);
    if (tab.dataset.view === view) tab.setAttribute("aria-current", "page");
    else tab.removeAttribute("aria-current");
  }
  document.body.dataset.view = view;
  if (loaded.has(view)) return;
  loaded.add(view);
  if (view === "documents") loadDocuments();
  if (view === "quotes") { loadSpeakers(); loadQuotes(); }
}

async function status() {
  const node = $("status");
  try {
    const ready = await api("/readyz");
    node.textContent = `${ready.documents} article(s) · ${ready.passages} passages`;
    node.className = "status ok";
    state.writes = ready.writes || "open";
  } catch (error) {
    node.textContent = error.message;
    node.className = "status bad";
  }
  showWriteControls();
}

function useKey(event) {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
  $("key-save").textContent = key ? "Key in use" : "Use key";
  // Reads may need the key too: load what is shown again.
  loaded.clear();
  status();
  loadExamples();
  show(viewFromLocation());
}

function viewFromLocation() {
  const params = new URLSearchParams(location.search);
  const quotes = params.has("speaker") || params.has("topic");
  return location.hash.slice(1) || params.get("view") || (quotes ? "quotes" : "ask");
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
  $("reset").addEventListener("click", reset);
  $("reader-close").addEventListener("click", () => { $("reader").hidden = true; });
  $("key-form").addEventListener("submit", useKey);
  $("api-key").value = apiKey();
  if (apiKey()) $("key-save").textContent = "Key in use";
  $("doc-add").addEventListener("submit", addDocument);
  $("doc-file").addEventListener("change", readUpload);
  $("doc-more").addEventListener("click", () => loadDocuments(true));
  $("quote-filter").addEventListener("submit", (event) => { event.preventDefault(); loadQuotes(); });
  $("quote-clear").addEventListener("click", () => {
    $("quote-topic").value = "";
    state.speaker = null;
    loadQuotes();
  });
  $("extract-form").addEventListener("submit", extract);
  window.addEventListener("hashchange", () => show(viewFromLocation()));

  // Deep links: ?q= asks at once; ?speaker= and ?topic= open the quotes; ?doc= a document.
  const params = new URLSearchParams(location.search);
  state.speaker = params.get("speaker");
  if (params.get("topic")) $("quote-topic").value = params.get("topic");
  status();
  loadExamples();
  const question = params.get("q");
  show(question ? "ask" : viewFromLocation());
  if (question) ask(question);
  if (params.get("doc")) openStoredDocument(params.get("doc"));
});
