using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Kube.ApiServer.Tests.Kubectl;

[TestClass]
public sealed class KubectlTests
{
    private static string Fmt(ToolResult r) => $"exit {r.ExitCode}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";

    [TestMethod]
    public async Task Kubectl_QuickStart_CreateGetApplyDelete()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);

        var node = await cluster.PostAsync("/api/v1/nodes", Objects.Node("node-1"));
        Assert.AreEqual(201, node.Code, node.Body?.ToJsonString());
        var nodes = await kubectl.RunArgsAsync("get", "nodes");
        Assert.AreEqual(0, nodes.ExitCode, Fmt(nodes));
        StringAssert.Contains(nodes.Stdout, "STATUS");
        StringAssert.Matches(nodes.Stdout, new System.Text.RegularExpressions.Regex(@"node-1\s+Ready\s+control-plane"));

        var file = kubectl.WriteFile("deploy.yaml", """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: demo
            spec:
              replicas: 2
              selector:
                matchLabels:
                  app: demo
              template:
                metadata:
                  labels:
                    app: demo
                spec:
                  containers:
                  - name: web
                    image: nginx:1.27
            """);
        var create = await kubectl.RunArgsAsync("create", "-f", file);
        Assert.AreEqual(0, create.ExitCode, Fmt(create));
        StringAssert.Contains(create.Stdout, "deployment.apps/demo created");

        var get = await kubectl.RunArgsAsync("get", "deploy");
        Assert.AreEqual(0, get.ExitCode, Fmt(get));
        StringAssert.Contains(get.Stdout, "UP-TO-DATE");
        StringAssert.Matches(get.Stdout, new System.Text.RegularExpressions.Regex(@"demo\s+0/2\s+0\s+0\s+\d+s"));

        await cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("demo-1", nodeName: "node-1"));
        var pods = await kubectl.RunArgsAsync("get", "pods", "-o", "wide");
        Assert.AreEqual(0, pods.ExitCode, Fmt(pods));
        StringAssert.Contains(pods.Stdout, "NOMINATED NODE");
        StringAssert.Matches(pods.Stdout, new System.Text.RegularExpressions.Regex(@"demo-1\s+0/1\s+Pending\s+0\s+\d+s\s+<none>\s+node-1"));

        var jsonpath = await kubectl.RunArgsAsync("get", "pods", "-l", "app=demo", "-o", "jsonpath={.items[*].metadata.name}");
        Assert.AreEqual(0, jsonpath.ExitCode, Fmt(jsonpath));
        Assert.AreEqual("demo-1", jsonpath.Stdout.Trim());

        var changed = kubectl.WriteFile("deploy2.yaml", File.ReadAllText(file).Replace("replicas: 2", "replicas: 3").Replace("nginx:1.27", "nginx:1.28"));
        var apply = await kubectl.RunArgsAsync("apply", "-f", changed);
        Assert.AreEqual(0, apply.ExitCode, Fmt(apply));
        StringAssert.Contains(apply.Stdout, "deployment.apps/demo configured");
        Assert.IsFalse(apply.Stderr.Contains("error calculating patch", StringComparison.Ordinal), Fmt(apply));
        var after = await cluster.GetAsync("/apis/apps/v1/namespaces/default/deployments/demo");
        Assert.AreEqual(3, after.Body!["spec"]!["replicas"]!.GetValue<int>());
        Assert.AreEqual("nginx:1.28", after.Body!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.AreEqual(2, after.Body!["metadata"]!["generation"]!.GetValue<int>());

        var delete = await kubectl.RunArgsAsync("delete", "deployment", "demo");
        Assert.AreEqual(0, delete.ExitCode, Fmt(delete));
        StringAssert.Contains(delete.Stdout, "deployment.apps \"demo\" deleted");

        var gone = await kubectl.RunArgsAsync("get", "deployment", "demo");
        Assert.AreEqual(1, gone.ExitCode, Fmt(gone));
        StringAssert.Contains(gone.Stderr, "deployments.apps \"demo\" not found");
    }

    [TestMethod]
    public async Task Kubectl_CreateRejectsUnknownField_WithStrictValidation()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);
        var file = kubectl.WriteFile("bad.yaml", """
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: bad
            data:
              a: b
            bogus: 1
            """);
        var create = await kubectl.RunArgsAsync("create", "-f", file);
        Assert.AreNotEqual(0, create.ExitCode, Fmt(create));
        StringAssert.Contains(create.Stderr, "unknown field \"bogus\"");
    }

    [TestMethod]
    public async Task Kubectl_RolloutStatus_SucceedsWhenDeploymentStatusCatchesUp()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);
        var created = await cluster.PostAsync("/apis/apps/v1/namespaces/default/deployments", Objects.Deployment("demo"));
        Assert.AreEqual(201, created.Code);
        var rollout = kubectl.RunArgsAsync("rollout", "status", "deployment/demo", "--timeout=30s");
        // Play the deployment controller: report the rollout as complete.
        var status = await cluster.SendAsync(HttpMethod.Patch, "/apis/apps/v1/namespaces/default/deployments/demo/status", """
            {"status":{"observedGeneration":1,"replicas":2,"updatedReplicas":2,"readyReplicas":2,"availableReplicas":2,
              "conditions":[{"type":"Available","status":"True","reason":"MinimumReplicasAvailable"},
                            {"type":"Progressing","status":"True","reason":"NewReplicaSetAvailable"}]}}
            """, "application/merge-patch+json");
        Assert.AreEqual(200, status.Code, status.Body?.ToJsonString());
        var result = await rollout;
        Assert.AreEqual(0, result.ExitCode, Fmt(result));
        StringAssert.Contains(result.Stdout, "deployment \"demo\" successfully rolled out");

        var describe = await kubectl.RunArgsAsync("get", "deployment", "demo", "-o", "jsonpath={.status.availableReplicas}");
        Assert.AreEqual("2", describe.Stdout.Trim(), Fmt(describe));
    }

    [TestMethod]
    public async Task Kubectl_DeletePod_WaitsForGracefulDeletionToFinish()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);
        await cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("busy", nodeName: "node-1"));
        var delete = kubectl.RunArgsAsync("delete", "pod", "busy", "--timeout=30s");
        // Play the node agent: once the pod is terminating, finish the deletion.
        await TestCluster.WaitForAsync(async () =>
            (await cluster.GetAsync("/api/v1/namespaces/default/pods/busy")).Body?["metadata"]?["deletionTimestamp"] is not null, what: "deletionTimestamp");
        var force = await cluster.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/pods/busy?gracePeriodSeconds=0");
        Assert.AreEqual(200, force.Code);
        var result = await delete;
        Assert.AreEqual(0, result.ExitCode, Fmt(result));
        StringAssert.Contains(result.Stdout, "pod \"busy\" deleted");
    }

    [TestMethod]
    public async Task Kubectl_TypedCreateCommands_SendProtobufThatIsDecoded()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);
        var ns = await kubectl.RunArgsAsync("create", "namespace", "team-a");
        Assert.AreEqual(0, ns.ExitCode, Fmt(ns));
        StringAssert.Contains(ns.Stdout, "namespace/team-a created");
        var cm = await kubectl.RunArgsAsync("create", "configmap", "settings", "-n", "team-a", "--from-literal=color=blue", "--from-literal=size=3");
        Assert.AreEqual(0, cm.ExitCode, Fmt(cm));
        var secret = await kubectl.RunArgsAsync("create", "secret", "generic", "creds", "-n", "team-a", "--from-literal=password=hunter2");
        Assert.AreEqual(0, secret.ExitCode, Fmt(secret));
        var deploy = await kubectl.RunArgsAsync("create", "deployment", "web", "-n", "team-a", "--image=nginx:1.27", "--replicas=3", "--port=80");
        Assert.AreEqual(0, deploy.ExitCode, Fmt(deploy));

        var c = await cluster.GetAsync("/api/v1/namespaces/team-a/configmaps/settings");
        Assert.AreEqual("blue", c.Body!["data"]!["color"]!.GetValue<string>());
        Assert.AreEqual("3", c.Body!["data"]!["size"]!.GetValue<string>());
        var s = await cluster.GetAsync("/api/v1/namespaces/team-a/secrets/creds");
        Assert.AreEqual(Convert.ToBase64String("hunter2"u8.ToArray()), s.Body!["data"]!["password"]!.GetValue<string>());
        var d = await cluster.GetAsync("/apis/apps/v1/namespaces/team-a/deployments/web");
        Assert.AreEqual(3, d.Body!["spec"]!["replicas"]!.GetValue<int>());
        Assert.AreEqual("web", d.Body!["spec"]!["selector"]!["matchLabels"]!["app"]!.GetValue<string>());
        var container = d.Body!["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.AreEqual("nginx:1.27", container["image"]!.GetValue<string>());
        Assert.AreEqual(80, container["ports"]![0]!["containerPort"]!.GetValue<int>());
        // Go writes empty non-pointer strings into protobuf; they must be defaulted as if absent, like JSON.
        Assert.AreEqual("/dev/termination-log", container["terminationMessagePath"]!.GetValue<string>());
        Assert.AreEqual("IfNotPresent", container["imagePullPolicy"]!.GetValue<string>());
        Assert.AreEqual("Always", d.Body!["spec"]!["template"]!["spec"]!["restartPolicy"]!.GetValue<string>());
        Assert.AreEqual("ClusterFirst", d.Body!["spec"]!["template"]!["spec"]!["dnsPolicy"]!.GetValue<string>());
        Assert.AreEqual("RollingUpdate", d.Body!["spec"]!["strategy"]!["type"]!.GetValue<string>());
        Assert.IsNull(d.Body!["metadata"]!["generateName"], "an empty generateName is absent");
    }

    [TestMethod]
    public async Task Kubectl_CreateJobAndCronJob_AndConfigMapColumns()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);
        var job = await kubectl.RunArgsAsync("create", "job", "once", "--image=busybox:1.36", "--", "echo", "hi");
        Assert.AreEqual(0, job.ExitCode, Fmt(job));
        var cron = await kubectl.RunArgsAsync("create", "cronjob", "tick", "--image=busybox:1.36", "--schedule=*/5 * * * *", "--", "date");
        Assert.AreEqual(0, cron.ExitCode, Fmt(cron));
        var j = await cluster.GetAsync("/apis/batch/v1/namespaces/default/jobs/once");
        Assert.AreEqual("busybox:1.36", j.Body!["spec"]!["template"]!["spec"]!["containers"]![0]!["image"]!.GetValue<string>());
        Assert.AreEqual("Never", j.Body!["spec"]!["template"]!["spec"]!["restartPolicy"]!.GetValue<string>());
        var jobSpec = j.Body!["spec"]!;
        var uid = j.Body!["metadata"]!["uid"]!.GetValue<string>();
        Assert.AreEqual(uid, jobSpec["selector"]!["matchLabels"]!["batch.kubernetes.io/controller-uid"]!.GetValue<string>(), "the selector is generated");
        Assert.AreEqual("once", jobSpec["template"]!["metadata"]!["labels"]!["batch.kubernetes.io/job-name"]!.GetValue<string>());
        Assert.AreEqual(6, jobSpec["backoffLimit"]!.GetValue<int>());
        Assert.AreEqual(1, jobSpec["completions"]!.GetValue<int>());
        Assert.AreEqual(1, jobSpec["parallelism"]!.GetValue<int>());
        Assert.AreEqual("NonIndexed", jobSpec["completionMode"]!.GetValue<string>());
        var c = await cluster.GetAsync("/apis/batch/v1/namespaces/default/cronjobs/tick");
        Assert.AreEqual("*/5 * * * *", c.Body!["spec"]!["schedule"]!.GetValue<string>());
        Assert.AreEqual("Allow", c.Body!["spec"]!["concurrencyPolicy"]!.GetValue<string>());
        Assert.AreEqual(3, c.Body!["spec"]!["successfulJobsHistoryLimit"]!.GetValue<int>());

        await kubectl.RunArgsAsync("create", "configmap", "cfg", "--from-literal=a=1", "--from-literal=b=2");
        var get = await kubectl.RunArgsAsync("get", "configmaps", "cfg");
        Assert.AreEqual(0, get.ExitCode, Fmt(get));
        StringAssert.Matches(get.Stdout, new System.Text.RegularExpressions.Regex(@"NAME\s+DATA\s+AGE\s+cfg\s+2\s+\d+s"));
    }

    [TestMethod]
    public async Task Kubectl_AuthCanI_AsksTheAuthorizer()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);
        var r = await kubectl.RunArgsAsync("auth", "can-i", "create", "deployments", "-n", "default");
        Assert.AreEqual(0, r.ExitCode, Fmt(r));
        Assert.AreEqual("yes", r.Stdout.Trim());
    }

    [TestMethod]
    public async Task Kubectl_Explain_ShowsUpstreamTypeNamesAndDescriptions()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);
        var r = await kubectl.RunArgsAsync("explain", "pod.spec.containers");
        Assert.AreEqual(0, r.ExitCode, Fmt(r));
        StringAssert.Matches(r.Stdout, new Regex(@"FIELD:\s+containers\s+<\[\]Container>"), r.Stdout);
        StringAssert.Contains(r.Stdout, "List of containers belonging to the pod.");
        StringAssert.Matches(r.Stdout, new Regex(@"(?m)^\s+resources\s+<ResourceRequirements>"), r.Stdout);
        StringAssert.Matches(r.Stdout, new Regex(@"(?m)^\s+image\s+<string>\s*\n\s+Container image name\."), r.Stdout);

        var d = await kubectl.RunArgsAsync("explain", "deployment.spec.strategy.rollingUpdate.maxSurge");
        Assert.AreEqual(0, d.ExitCode, Fmt(d));
        StringAssert.Matches(d.Stdout, new Regex(@"GROUP:\s+apps"), d.Stdout);
        StringAssert.Matches(d.Stdout, new Regex(@"FIELD:\s+maxSurge\s+<(IntOrString|string)>"), d.Stdout);
        StringAssert.Contains(d.Stdout, "The maximum number of pods that can be scheduled above the desired number");

        var meta = await kubectl.RunArgsAsync("explain", "configmap.metadata.labels");
        Assert.AreEqual(0, meta.ExitCode, Fmt(meta));
        StringAssert.Matches(meta.Stdout, new Regex(@"FIELD:\s+labels\s+<map\[string\]string>"), meta.Stdout);

        var crd = """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: gadgets.explain.example.com}
            spec:
              group: explain.example.com
              scope: Namespaced
              names: {plural: gadgets, singular: gadget, kind: Gadget}
              versions:
              - name: v1
                served: true
                storage: true
                schema:
                  openAPIV3Schema:
                    type: object
                    description: A Gadget does things.
                    properties:
                      spec:
                        type: object
                        properties:
                          speed: {type: integer, description: How fast the gadget goes.}
            """;
        var apply = await kubectl.RunArgsAsync("apply", "-f", kubectl.WriteFile("gadget-crd.yaml", crd));
        Assert.AreEqual(0, apply.ExitCode, Fmt(apply));
        var g = await kubectl.RunArgsAsync("explain", "gadget.spec.speed");
        Assert.AreEqual(0, g.ExitCode, Fmt(g) + (await cluster.GetAsync("/openapi/v3/apis/explain.example.com/v1")).Body!["components"]!.ToJsonString());
        StringAssert.Matches(g.Stdout, new Regex(@"FIELD:\s+speed\s+<integer>"), g.Stdout);
        StringAssert.Contains(g.Stdout, "How fast the gadget goes.");
    }
}
