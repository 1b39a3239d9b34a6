export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function summary(label: string, values: readonly number[], unit: string): string {
  const f = (n: number) => `${n.toFixed(1)} ${unit}`;
  return `${label}: n=${values.length} p50=${f(percentile(values, 50))} p99=${f(percentile(values, 99))} min=${f(Math.min(...values))} max=${f(Math.max(...values))}`;
}
