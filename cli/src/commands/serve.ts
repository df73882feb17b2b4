import { createScenarioEnvironment } from "@shadow/scenario";

/**
 * `shadow serve`: the local stack and the seven services, in the foreground until Ctrl-C, so
 * `shadow migrate` and `POST /migrations` have something to talk to.
 */
export async function serve(out: (line: string) => void): Promise<number> {
  const env = await createScenarioEnvironment({ log: (line) => out(`  ${line}`) });
  out(
    `services up; gateway at ${env.gatewayUrl} (bearer token from SHADOW_TOKEN); Ctrl-C stops them`,
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  out("stopping the services");
  await env.close();
  return 0;
}
