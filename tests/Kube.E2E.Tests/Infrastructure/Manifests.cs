namespace Kube.E2E.Tests.Infrastructure;

internal static class Manifests
{
    /// <summary>The quick start's Deployment: replicas of <c>sleep SECONDS</c>, a command line unique to the test.</summary>
    public static string SleepDeployment(string name, int replicas, int seconds) => $$$"""
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: {{{name}}}}
        spec:
          replicas: {{{replicas}}}
          selector: {matchLabels: {app: {{{name}}}}}
          template:
            metadata: {labels: {app: {{{name}}}}}
            spec:
              containers:
              - {name: sleeper, image: busybox, command: ["sleep", "{{{seconds}}}"]}
        """;
}
