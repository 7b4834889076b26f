// The metric names a PromQL expression reads. Not a parser: it removes what cannot be a metric name (strings, label
// matchers, ranges, `by (...)` label lists, offsets) and keeps the identifiers that are not functions or keywords.
// promtool checks the syntax itself (see observability-assets.test.mjs), so this only has to find names.
const KEYWORDS = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile',
  'limitk', 'limit_ratio', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or',
  'unless', 'offset', 'atan2', 'inf', 'nan',
]);

export function metricNames(expr) {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, ' ')
    .replace(/\boffset\s+-?[0-9a-zA-Z_$]+/g, ' ');
  const names = new Set();
  for (const m of stripped.matchAll(/(?<![\w$.:])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1].toLowerCase())) continue;
    names.add(m[1]);
  }
  return names;
}

/** Grafana's template variables replaced by values Prometheus accepts, so promtool can check the expression. */
export function withGrafanaVariablesFilled(expr) {
  return expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, '.*');
}

/** The families of a Prometheus text scrape, by the names their samples may carry (histograms: _bucket, _sum, _count). */
export function exportedNames(scrape) {
  const names = new Set();
  for (const m of scrape.matchAll(/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/gm)) {
    const [, name, type] = m;
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}
