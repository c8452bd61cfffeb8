import { cpuCores, cpuTimes, HostReadings, memoryPercent, type ReadText } from './host-readings.js';
import { PressureGate } from './pressure-gate.js';

const LIMITS = { maxCpuPercent: 90, maxMemoryPercent: 85 };
const calm = { cpuPercent: 40, memoryPercent: 50 };
const hot = { cpuPercent: 97, memoryPercent: 50 };
const full = { cpuPercent: 40, memoryPercent: 90 };

const hotAndFull = { cpuPercent: 97, memoryPercent: 90 };

describe('PressureGate', () => {
  it('halves the slots at each check over the memory threshold, down to none, then adds one per filled check', () => {
    const gate = new PressureGate(8, LIMITS, 2);
    expect(gate.observe(calm, 8)).toMatchObject({ slots: 8 });
    expect(gate.observe(full, 8)).toMatchObject({ slots: 4, over: { cpu: false, memory: true } });
    expect(gate.observe(full, 6).slots).toBe(2);
    expect(gate.observe(hotAndFull, 3)).toMatchObject({ slots: 1, over: { cpu: true, memory: true } });
    expect(gate.observe(full, 1).slots).toBe(0); // still over: no new item at all
    expect(gate.observe(full, 0).slots).toBe(0);
    // Under again: one slot per check, and only while the worker fills what it has.
    expect(gate.observe(calm, 0).slots).toBe(1);
    expect(gate.observe(calm, 0).slots).toBe(1);
    const steps = [1, 2, 3, 4, 5, 6, 7, 8, 8].map((busy) => gate.observe(calm, busy).slots);
    expect(steps).toEqual([2, 3, 4, 5, 6, 7, 8, 8, 8]);
  });

  it('halves the slots over the CPU threshold only down to one per core, and holds them there while hot', () => {
    const gate = new PressureGate(16, LIMITS, 3);
    expect(gate.cpuFloor).toBe(3);
    expect(gate.observe(hot, 16)).toMatchObject({ slots: 8, over: { cpu: true, memory: false } });
    expect(gate.observe(hot, 8).slots).toBe(4);
    expect(gate.observe(hot, 4).slots).toBe(3); // not 2: a host at one slot per core is at its knee
    const held = [3, 3, 3, 2].map((busy) => gate.observe(hot, busy).slots);
    expect(held).toEqual([3, 3, 3, 3]);
    // Under: one more per filled check; hot again: back to the floor, never under it.
    expect(gate.observe(calm, 3).slots).toBe(4);
    expect(gate.observe(calm, 4).slots).toBe(5);
    expect(gate.observe(hot, 5).slots).toBe(3);
  });

  it('lets CPU pressure neither cut nor hold the slots below one per core: memory took them there', () => {
    const gate = new PressureGate(8, LIMITS, 4);
    for (let i = 0; i < 4; i++) gate.observe(full, 8);
    expect(gate.state.slots).toBe(0);
    // Memory under, CPU still busy (other work on the host): back up to the floor, one per filled check.
    const steps = [0, 1, 2, 3, 4, 4].map((busy) => gate.observe(hot, busy).slots);
    expect(steps).toEqual([1, 2, 3, 4, 4, 4]);
    expect(gate.observe(hot, 1).slots).toBe(4); // idle slots below the floor are not taken away either
  });

  it('bounds the CPU floor by the slots there are and by one', () => {
    expect(new PressureGate(2, LIMITS, 8).cpuFloor).toBe(2);
    expect(new PressureGate(4, LIMITS, 0).cpuFloor).toBe(1);
    const gate = new PressureGate(2, LIMITS, 8);
    expect([2, 2, 2].map((busy) => gate.observe(hot, busy).slots)).toEqual([2, 2, 2]);
  });

  it('counts a reading at the threshold as room, and a threshold of 0 as off', () => {
    const gate = new PressureGate(4, LIMITS, 1);
    expect(gate.observe({ cpuPercent: 90, memoryPercent: 85 }, 4).slots).toBe(4);
    gate.setLimits({ maxCpuPercent: 0, maxMemoryPercent: 85 });
    expect(gate.observe({ cpuPercent: 100, memoryPercent: 10 }, 4)).toMatchObject({
      slots: 4,
      over: { cpu: false, memory: false },
    });
  });

  it('gives every slot back at once when both thresholds are switched off', () => {
    const gate = new PressureGate(6, LIMITS, 2);
    for (let i = 0; i < 4; i++) gate.observe(full, 6);
    expect(gate.state.slots).toBe(0);
    gate.setLimits({ maxCpuPercent: 0, maxMemoryPercent: 0 });
    expect(gate.off).toBe(true);
    expect(gate.observe(hot, 0).slots).toBe(6);
  });
});

describe('host readings', () => {
  const stat = (busy: number, idle: number) =>
    // user nice system idle iowait irq softirq steal guest guest_nice
    `cpu  ${busy} 0 0 ${idle} 0 0 0 0 0 0\ncpu0 1 0 0 1 0 0 0 0 0 0\n`;

  it('reads CPU busy over all cores between two samples, idle and iowait not busy', () => {
    expect(cpuTimes('cpu  10 2 3 80 5 0 0 0 0 0\n')).toEqual({ busy: 15, total: 100 });
    expect(cpuTimes('intr 1 2 3\n')).toBeNull();
    const files: Record<string, string> = {
      '/proc/stat': stat(100, 100),
      '/proc/meminfo': 'MemTotal:       1000 kB\nMemFree:  100 kB\nMemAvailable:    250 kB\n',
    };
    const read: ReadText = (path) => files[path] ?? null;
    const host = new HostReadings(read);
    files['/proc/stat'] = stat(175, 125); // +75 busy of +100
    expect(host.sample()).toEqual({ cpuPercent: 75, memoryPercent: 75 });
    files['/proc/stat'] = stat(185, 215); // +10 busy of +100
    expect(host.sample().cpuPercent).toBe(10);
    expect(host.sample().cpuPercent).toBe(0); // no time passed: nothing measured
  });

  it('counts the cores this process may use: CPUs it may run on, or a cgroup v2 quota when fewer', () => {
    expect(cpuCores(null, 8)).toBe(8);
    expect(cpuCores('max 100000\n', 8)).toBe(8);
    expect(cpuCores('200000 100000\n', 8)).toBe(2);
    expect(cpuCores('150000 100000\n', 8)).toBe(2); // 1.5 cores: rounded up
    expect(cpuCores('50000 100000\n', 8)).toBe(1);
    expect(cpuCores('800000 100000\n', 4)).toBe(4);
    expect(cpuCores('garbage', 0)).toBe(1);
    const host = new HostReadings((path) => (path === '/sys/fs/cgroup/cpu.max' ? '300000 100000' : null));
    expect(host.cores(16)).toBe(3);
    expect(new HostReadings(() => null).cores()).toBeGreaterThanOrEqual(1);
  });

  it("takes a cgroup v2 memory limit when it is tighter than the host's, and ignores 'max'", () => {
    const meminfo = 'MemTotal:       1000 kB\nMemAvailable:    800 kB\n';
    expect(memoryPercent(meminfo, null, null)).toBe(20);
    expect(memoryPercent(meminfo, 'max\n', '900\n')).toBe(20);
    expect(memoryPercent(meminfo, '1000\n', '600\n')).toBe(60);
    expect(memoryPercent(null, null, null)).toBe(0);
    // Inactive page cache (files written, e.g. screenshots) is given back before a kill: not counted.
    const stat = 'anon 300\nfile 500\nactive_file 100\ninactive_file 400\n';
    expect(memoryPercent(meminfo, '1000\n', '900\n', stat)).toBe(50);
    expect(memoryPercent(meminfo, '1000\n', '900\n', null)).toBe(90);
  });
});
