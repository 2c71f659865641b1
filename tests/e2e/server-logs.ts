// A reporter: when a run fails, the last lines of the server logs of the projects that ran (a
// project's `metadata.serverLogDir`, nginx's logs), after Playwright's own report. The emulator's
// output is shown as it comes, prefixed [emulator].
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FullConfig, FullResult, Reporter, Suite } from '@playwright/test/reporter';

export default class ServerLogs implements Reporter {
  private readonly dirs = new Set<string>();

  onBegin(_config: FullConfig, suite: Suite): void {
    for (const projectSuite of suite.suites) {
      const dir = projectSuite.project()?.metadata?.serverLogDir as string | undefined;
      if (dir) this.dirs.add(dir);
    }
  }

  onEnd(result: FullResult): void {
    if (result.status === 'passed') return;
    for (const dir of this.dirs) {
      if (!fs.existsSync(dir)) continue;
      console.log(`\nnginx logs (${dir}):`);
      for (const name of fs.readdirSync(dir).filter((file) => file.endsWith('.log')).sort()) {
        const lines = fs.readFileSync(path.join(dir, name), 'utf8').trimEnd().split('\n').slice(-20);
        console.log(`==> ${name} <==\n${lines.join('\n')}`);
      }
    }
  }

  printsToStdio(): boolean {
    return false;
  }
}
