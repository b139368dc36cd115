// Parses detente's GIFT exports with the real GIFT parser (the npm package gift-pegjs) and checks them against the
// decks they came from.
//
// Usage: node gift_parse.mjs EXPORT.gift:DECK.json:COUNT...
//
// EXPORT.gift is `detente deck export ID --format gift`, DECK.json the same deck as `--format json`, COUNT the number
// of questions detente said it wrote. For each file: parse() must succeed, the file must hold COUNT questions (besides
// its $CATEGORY), and each question must have the id, type and answers the deck's card gives:
// choice -> MC with one right choice, multi -> MC with positive weights on the right choices, truefalse -> TF,
// text -> Short (accepted answers, rejected ones at 0 %), cloze -> one Short question per blank, number ->
// Numerical, match -> Matching, order -> Matching from positions 1, 2, ... to the items, flashcard -> Short when
// its back is at most SHORT_BACK characters on one line (and holds no `->`), else a Description showing it.
// Prints one line per file and exits 1 with every problem listed when anything differs.

import { parse } from "gift-pegjs";
import fs from "node:fs";
import path from "node:path";

const SHORT_BACK = 40;

// Text compared as the parser returns it: whitespace runs as one space, trimmed.
const norm = (s) => String(s ?? "").replace(/\s+/g, " ").trim();
const same = (a, b) => JSON.stringify(a.map(norm)) === JSON.stringify(b.map(norm));

function blanks(prompt) {
  return [...prompt.matchAll(/\{\{(.*?)\}\}/g)].map((m) =>
    m[1].split("|").map((a) => a.trim()).filter((a) => a),
  );
}

// The questions detente writes for a card: [{id, type, check(question) -> problem or null}].
function expected(card) {
  const q = (id, type, check) => ({ id, type, check });
  switch (card.kind) {
    case "choice":
      return [q(card.id, "MC", (x) => {
        const texts = x.choices.map((c) => c.text.text);
        const right = x.choices.filter((c) => c.isCorrect).map((c) => c.text.text);
        if (!same(texts, card.choices)) return `choices ${JSON.stringify(texts)}`;
        if (!same(right, [card.answer])) return `right choice ${JSON.stringify(right)}`;
        return null;
      })];
    case "multi":
      return [q(card.id, "MC", (x) => {
        const texts = x.choices.map((c) => c.text.text);
        const right = x.choices.filter((c) => (c.weight ?? 0) > 0).map((c) => c.text.text);
        if (!same(texts, card.choices)) return `choices ${JSON.stringify(texts)}`;
        if (!same(right, card.answers)) return `right choices ${JSON.stringify(right)}`;
        return null;
      })];
    case "truefalse":
      return [q(card.id, "TF", (x) => (x.isTrue === card.answer ? null : `isTrue ${x.isTrue}`))];
    case "text":
      return [q(card.id, "Short", (x) => short(x, card.answers, card.reject ?? []))];
    case "cloze": {
      const all = blanks(card.prompt);
      return all.map((answers, k) =>
        q(all.length === 1 ? card.id : `${card.id}-blank-${k + 1}`, "Short", (x) => {
          if (!x.hasEmbeddedAnswers) return "not a missing-word question";
          return short(x, answers, card.reject ?? []);
        }),
      );
    }
    case "number":
      return [q(card.id, "Numerical", (x) => {
        const c = x.choices;
        const tol = card.tolerance ?? 0;
        if (Array.isArray(c) || c.number !== card.answer || (c.range ?? 0) !== tol) {
          return `numerical answer ${JSON.stringify(c)}`;
        }
        return null;
      })];
    case "match":
      return [q(card.id, "Matching", (x) => pairs(x, card.pairs))];
    case "order":
      return [q(card.id, "Matching", (x) => pairs(x, card.items.map((item, k) => [String(k + 1), item])))];
    case "flashcard":
      if ([...card.answer].length <= SHORT_BACK && !card.answer.includes("\n") && !card.answer.includes("->")) {
        return [q(card.id, "Short", (x) => short(x, [card.answer], []))];
      }
      return [q(card.id, "Description", (x) =>
        norm(x.stem.text).includes(norm(card.answer)) ? null : "the description does not show the back")];
    default:
      return [q(card.id, "?", () => `unknown kind ${card.kind}`)];
  }
}

function short(x, answers, reject) {
  const accepted = x.choices.filter((c) => c.weight === null || c.weight > 0).map((c) => c.text.text);
  const rejected = x.choices.filter((c) => c.weight !== null && c.weight <= 0).map((c) => c.text.text);
  if (!same(accepted, answers)) return `accepted answers ${JSON.stringify(accepted)}, not ${JSON.stringify(answers)}`;
  if (!same(rejected, reject)) return `rejected answers ${JSON.stringify(rejected)}, not ${JSON.stringify(reject)}`;
  return null;
}

// gift-pegjs 1.0.2 returns a matching pair's right side (its PlainText rule) without decoding its own placeholders
// for escaped characters (`\\:` comes back as `&&058;`), though Moodle's importer decodes them; decode them here.
const decode = (s) =>
  s.replace(/&&092;/g, "\\").replace(/&&058;/g, ":").replace(/&&035;/g, "#").replace(/&&061;/g, "=")
    .replace(/&&123;/g, "{").replace(/&&125;/g, "}").replace(/&&126;/g, "~").replace(/&&010/g, "\n");

function pairs(x, want) {
  const got = x.matchPairs.map((p) => [norm(p.subquestion.text), norm(decode(p.subanswer))]);
  const exp = want.map(([l, r]) => [norm(l), norm(r)]);
  return JSON.stringify(got) === JSON.stringify(exp) ? null : `pairs ${JSON.stringify(got)}`;
}

const problems = [];
let files = 0;
let total = 0;
for (const arg of process.argv.slice(2)) {
  const [giftFile, jsonFile, count] = arg.split(":");
  const name = path.basename(giftFile);
  files += 1;
  let questions;
  try {
    questions = parse(fs.readFileSync(giftFile, "utf8"));
  } catch (e) {
    const at = e.location ? `${e.location.start.line}:${e.location.start.column}` : "?";
    problems.push(`${name}:${at}: gift-pegjs cannot parse it: ${e.message}`);
    continue;
  }
  const deck = JSON.parse(fs.readFileSync(jsonFile, "utf8"));
  const real = questions.filter((x) => x.type !== "Category");
  const want = deck.cards.flatMap(expected);
  const types = {};
  for (const x of real) types[x.type] = (types[x.type] ?? 0) + 1;
  console.log(`gift: ${name}: ${real.length} question(s) ${JSON.stringify(types)}, detente wrote ${count}`);
  total += real.length;
  if (real.length !== Number(count)) problems.push(`${name}: ${real.length} questions parsed, detente said ${count}`);
  if (real.length !== want.length) problems.push(`${name}: ${real.length} questions parsed, the deck gives ${want.length}`);
  for (let i = 0; i < Math.min(real.length, want.length); i++) {
    const x = real[i];
    const w = want[i];
    const where = `${name}: question ${i + 1} (${w.id})`;
    if (x.id !== w.id) problems.push(`${where}: id ${JSON.stringify(x.id)}`);
    if (x.type !== w.type) {
      problems.push(`${where}: type ${x.type}, not ${w.type}`);
      continue;
    }
    const problem = w.check(x);
    if (problem) problems.push(`${where}: ${problem}`);
  }
}
console.log(`gift: ${files} file(s), ${total} question(s), ${problems.length} problem(s)`);
for (const p of problems) console.log(`gift: PROBLEM: ${p}`);
process.exit(problems.length ? 1 : 0);
