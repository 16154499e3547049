import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { INFRA, readYaml } from "./yaml-files.ts";

interface Compose {
  services: Record<
    string,
    {
      image?: string;
      build?: { context: string; dockerfile: string };
      environment?: Record<string, string>;
      depends_on?: Record<string, { condition: string }>;
      healthcheck?: { test: string[] };
      stop_grace_period?: string;
    }
  >;
}

const [compose] = readYaml<Compose>("docker/compose.yaml");
const services = compose!.services;

describe("infra/docker/compose.yaml", () => {
  it("runs RabbitMQ, Redis and the worker built from functions/container/Dockerfile", () => {
    expect(Object.keys(services).sort()).toEqual(["rabbitmq", "redis", "worker"]);
    const build = services.worker!.build!;
    const context = resolve(INFRA, "docker", build.context);
    expect(existsSync(join(context, build.dockerfile))).toBe(true);
    expect(build.dockerfile).toBe("functions/container/Dockerfile");
  });

  it("the worker's transport and Redis URLs name the compose services, and it waits for a healthy broker", () => {
    const env = services.worker!.environment!;
    expect(new URL(env.MAILROOM_TRANSPORT!).hostname).toBe("rabbitmq");
    expect(new URL(env.MAILROOM_TRANSPORT!).searchParams.get("queue")).toBe("orders");
    expect(new URL(env.MAILROOM_REDIS_URL!).hostname).toBe("redis");
    for (const [name, { condition }] of Object.entries(services.worker!.depends_on!)) {
      expect(services, `depends_on ${name}`).toHaveProperty(name);
      if (condition === "service_healthy") expect(services[name]!.healthcheck).toBeDefined();
    }
    expect(services.worker!.depends_on!.rabbitmq!.condition).toBe("service_healthy");
  });

  it("gives the worker longer than its 30 s drain to stop", () => {
    expect(Number.parseInt(services.worker!.stop_grace_period!, 10)).toBeGreaterThan(30);
  });
});
