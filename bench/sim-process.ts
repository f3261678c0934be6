// The simulated organization in a process of its own, so the benchmark measures Warden's memory
// and not the simulator's. Driven over IPC by bench/scan.ts.
import { type GenerateOptions, generateScenario } from '../src/sim/scenarios.js';
import { type Simulator, startSimulator } from '../src/sim/server.js';
import { watchEventLoop } from './event-loop.js';

type Message =
  | { type: 'start'; options: GenerateOptions }
  | { type: 'change'; fraction: number }
  | { type: 'calls' }
  | { type: 'stop' };

let sim: Simulator | undefined;
/** How late the simulator's event loop ran: a late loop answers every call late. */
const loop = watchEventLoop();

process.on('message', async (m: Message) => {
  if (m.type === 'start') {
    sim = await startSimulator(generateScenario(m.options));
    let findings = 0;
    for (const _ of sim.world.allFindings()) findings += 1;
    process.send!({ url: sim.url, env: sim.env, findings });
  } else if (m.type === 'change') {
    // Change every n-th failing finding as its provider would: half pass, half get worse.
    const all = [...sim!.world.allFindings()].filter((f) => f.compliance === 'FAILED');
    const every = Math.round(1 / m.fraction);
    let changed = 0;
    all.forEach((f, i) => {
      if (i % every !== 0) return;
      sim!.world.updateFinding(f.id, changed % 2 ? { compliance: 'PASSED' } : { severity: 'CRITICAL' });
      changed += 1;
    });
    sim!.world.resetCalls();
    process.send!({ changed });
  } else if (m.type === 'calls') {
    const cpu = process.cpuUsage();
    process.send!({
      total: sim!.world.totalCalls(),
      getFindings: sim!.world.calls('GetFindings'),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      loopDelayMs: loop.read(),
    });
  } else if (m.type === 'stop') {
    await sim?.close();
    process.exit(0);
  }
});
