/** A markdown table: a header row, then one row per entry; cells are stringified as they are. */
export function markdownTable(header: string[], rows: (string | number)[][]): string {
  const cellText = (cell: string | number) => String(cell).replaceAll('|', '\\|');
  const lines = [
    `| ${header.map(cellText).join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cellText).join(' | ')} |`),
  ];
  return lines.join('\n');
}
