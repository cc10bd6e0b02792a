/** PASS/FAIL lines for the package checks; any FAIL makes the whole check exit non-zero. */
export interface StepReporter {
  pass(step: string, detail?: string): void;
  fail(step: string, detail: string): void;
  info(text: string): void;
  readonly failures: readonly string[];
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
}

export function createReporter(): StepReporter {
  const failures: string[] = [];
  return {
    failures,
    pass(step, detail) {
      console.log(`PASS ${step}${detail ? `: ${detail}` : ''}`);
    },
    fail(step, detail) {
      failures.push(step);
      console.log(`FAIL ${step}\n${indent(detail)}`);
    },
    info(text) {
      console.log(indent(text));
    },
  };
}
