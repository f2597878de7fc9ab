/** Scrapes /metrics and parses it with a Prometheus text-format parser (a library, not a regex). */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface MetricFamily {
  name: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string> }>;
}

export async function scrape(base: string, secret: string): Promise<MetricFamily[]> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${secret}` } });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parsePrometheusTextFormat(await res.text()) as MetricFamily[];
}

/** The value of one series (labels must match exactly those given), or undefined. */
export function metricValue(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.find((f) => f.name === name);
  const series = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return series?.value === undefined ? undefined : Number(series.value);
}
