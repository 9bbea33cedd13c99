/**
 * Reading `/metrics` in tests: a strict parser of the Prometheus text exposition format (version
 * 0.0.4): every line must be a `# HELP`, a `# TYPE` (one per family, before its samples), a sample
 * of a typed family, or empty, and the text ends with a line feed. Label values are unescaped.
 * @see https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

/** A metric or label name (`[a-zA-Z_:][a-zA-Z0-9_:]*`; label names without `:`). */
const METRIC_NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
/** A label pair, its value a quoted string with `\\`, `\"` and `\n` escapes (without captures, and with them). */
const LABEL_SYNTAX = '[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\["\\\\n])*"';
const LABEL = '([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\["\\\\n])*)"';
/** A sample value: a float, or NaN, +Inf, -Inf. */
const VALUE = "([-+]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][-+]?\\d+)?|NaN|[-+]Inf)";
const SAMPLE_LINE = new RegExp(`^(${METRIC_NAME})(?:\\{(${LABEL_SYNTAX}(?:,${LABEL_SYNTAX})*,?)?\\})? ${VALUE}(?: -?\\d+)?$`);
const ONE_LABEL = new RegExp(LABEL, "g");
const HELP_LINE = new RegExp(`^# HELP (${METRIC_NAME}) (.*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$`);

/** One sample line. */
export interface Sample {
	/** The sample's own name (`x_bucket`, `x_count` for a histogram `x`). */
	readonly name: string;
	readonly labels: Readonly<Record<string, string>>;
	readonly value: number;
}

/** One metric family. */
export interface Family {
	readonly name: string;
	readonly type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
	readonly help: string;
	readonly samples: readonly Sample[];
}

/** A scrape, parsed. */
export interface ParsedMetrics {
	readonly families: readonly Family[];
	/**
	 * The value of the series of family `name` with exactly `labels`; for a histogram or summary,
	 * its `_count` (or its `_sum` with `part`). Throws when there is no such series.
	 */
	value(name: string, labels?: Readonly<Record<string, string>>, part?: "count" | "sum"): number;
}

const unescape = (text: string): string => text.replace(/\\(["\\n])/g, (_, c: string) => (c === "n" ? "\n" : c));

/**
 * Parses `text`, checking the grammar.
 * @throws Error naming the first line that breaks it
 */
export function parseMetricsText(text: string): ParsedMetrics {
	if (!text.endsWith("\n")) throw new Error("the text does not end with a line feed");
	const families = new Map<string, { name: string; type: Family["type"]; help: string; samples: Sample[] }>();
	const helps = new Map<string, string>();
	text.slice(0, -1).split("\n").forEach((line, index) => {
		const where = `line ${index + 1} (${JSON.stringify(line)})`;
		if (line === "") return;
		const help = HELP_LINE.exec(line);
		if (help !== null) {
			helps.set(help[1]!, help[2]!);
			return;
		}
		const type = TYPE_LINE.exec(line);
		if (type !== null) {
			if (families.has(type[1]!)) throw new Error(`${where}: a second TYPE for ${type[1]}`);
			families.set(type[1]!, { name: type[1]!, type: type[2] as Family["type"], help: helps.get(type[1]!) ?? "", samples: [] });
			return;
		}
		if (line.startsWith("#")) throw new Error(`${where}: a comment that is neither HELP nor TYPE`);
		const sample = SAMPLE_LINE.exec(line);
		if (sample === null) throw new Error(`${where} is not in the Prometheus text format`);
		const name = sample[1]!;
		const family = families.get(name) ?? families.get(name.replace(/_(bucket|count|sum|total|created)$/, ""));
		if (family === undefined) throw new Error(`${where}: a sample of a family without TYPE`);
		const labels: Record<string, string> = {};
		for (const match of (sample[2] ?? "").matchAll(ONE_LABEL)) {
			if (Object.hasOwn(labels, match[1]!)) throw new Error(`${where}: label ${match[1]} twice`);
			labels[match[1]!] = unescape(match[2]!);
		}
		family.samples.push({ name, labels, value: Number(sample[3]) });
	});
	const list: Family[] = [...families.values()];
	const sameLabels = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean =>
		Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => b[key] === value);
	return {
		families: list,
		value(name, labels = {}, part = "count") {
			const family = families.get(name);
			if (family === undefined) throw new Error(`no metric family ${name}`);
			const sampleName = family.type === "histogram" || family.type === "summary" ? `${name}_${part}` : name;
			const sample = family.samples.find((candidate) => candidate.name === sampleName && sameLabels(candidate.labels, labels));
			if (sample === undefined) throw new Error(`no series ${sampleName}${JSON.stringify(labels)}; have ${JSON.stringify(family.samples.filter((s) => s.name === sampleName).map((s) => s.labels))}`);
			return sample.value;
		},
	};
}
