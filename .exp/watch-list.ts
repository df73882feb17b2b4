import { createLocalRuntime } from "@shadow/runtime/local";
const rt = await createLocalRuntime();
let last = "";
for (;;) {
  const t0 = Date.now();
  try {
    const all = await rt.list();
    const s = all.map((i) => `${i.instance}:${i.state}`).sort().join(" ");
    const ms = Date.now() - t0;
    if (s !== last || ms > 300) console.log(new Date(t0).toISOString(), ms, "ms", s);
    last = s;
  } catch (e) {
    console.log(new Date(t0).toISOString(), Date.now() - t0, "ms ERROR", (e as Error).message);
  }
  await new Promise((r) => setTimeout(r, 50));
}
