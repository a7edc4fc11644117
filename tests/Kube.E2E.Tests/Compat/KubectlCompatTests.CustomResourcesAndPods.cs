using System.Text.RegularExpressions;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests.Compat;

/// <summary>kubectl sessions with custom resources, and get all, logs, exec, auth and top.</summary>
public sealed partial class KubectlCompatTests
{
    // ---- custom resources ----

    private const string WidgetCrd = """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: widgets.compat.example.com}
        spec:
          group: compat.example.com
          scope: Namespaced
          names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wdg]}
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    properties:
                      size: {type: integer, default: 3}
                      color: {type: string}
            additionalPrinterColumns:
            - {name: Color, type: string, jsonPath: .spec.color}
        """;

    private static async Task ApplyWidgetCrdAsync()
    {
        await K.OkAsync($"apply -f {await Cluster.WriteFileAsync("widget-crd.yaml", WidgetCrd)}");
        await K.OkAsync("wait --for=condition=Established crd/widgets.compat.example.com --timeout=60s", timeout: Rollout);
    }

    [TestMethod]
    public async Task CustomResource_ApplyGetDelete_RoundTrips()
    {
        await ApplyWidgetCrdAsync();
        var file = await Cluster.WriteFileAsync("widget-a.yaml", """
            apiVersion: compat.example.com/v1
            kind: Widget
            metadata: {name: widget-a}
            spec: {color: red, size: 5}
            """);
        string applied = "";
        var served = await Wait.UntilAsync(async () =>
        {
            var r = await K.RunAsync($"apply -f {file}");
            applied = r.Stdout + r.Stderr;
            return r.ExitCode == 0;
        }, TimeSpan.FromSeconds(30));
        Assert.IsTrue(served, "the CRD is served at once: " + applied);
        StringAssert.Contains(applied, "widget.compat.example.com/widget-a created");
        Assert.AreEqual("red 5", await K.OkAsync("get wdg widget-a -o 'jsonpath={.spec.color} {.spec.size}'"));
        Assert.AreEqual("widget.compat.example.com/widget-a", (await K.OkAsync("get widgets -o name")).Trim());

        await File.WriteAllTextAsync(file, """
            apiVersion: compat.example.com/v1
            kind: Widget
            metadata: {name: widget-a}
            spec: {color: blue, size: 5}
            """);
        StringAssert.Contains(await K.OkAsync($"apply -f {file}"), "widget.compat.example.com/widget-a configured");
        Assert.AreEqual("blue", await K.OkAsync("get widget widget-a -o 'jsonpath={.spec.color}'"));
        StringAssert.Contains(await K.OkAsync($"delete -f {file}"), "widget.compat.example.com \"widget-a\" deleted");
        Assert.AreEqual("", (await K.OkAsync("get widgets -o name")).Trim());
    }

    [TestMethod]
    public async Task CustomResource_Schema_DefaultsRejectsUnknownFields_AndPrinterColumns()
    {
        await ApplyWidgetCrdAsync();
        var file = await Cluster.WriteFileAsync("widget-b.yaml", """
            apiVersion: compat.example.com/v1
            kind: Widget
            metadata: {name: widget-b}
            spec: {color: green}
            """);
        await Wait.UntilAsync(async () => (await K.RunAsync($"apply -f {file}")).ExitCode == 0, TimeSpan.FromSeconds(30));
        Assert.AreEqual("3", await K.OkAsync("get widget widget-b -o 'jsonpath={.spec.size}'"), "schema default applied");
        // Upstream adds AGE only to a CRD without additionalPrinterColumns; with them the columns are NAME and theirs.
        var rows = Rows(await K.OkAsync("get widget widget-b"));
        CollectionAssert.AreEqual(new[] { "NAME", "COLOR" }, Regex.Split(rows[0], @"\s+"));
        StringAssert.Matches(rows[1], new Regex(@"^widget-b\s+green$"));

        var unknown = await Cluster.WriteFileAsync("widget-c.yaml", """
            apiVersion: compat.example.com/v1
            kind: Widget
            metadata: {name: widget-c}
            spec: {color: red, junk: 1}
            """);
        var strict = await K.RunAsync($"create -f {unknown}");
        Assert.AreNotEqual(0, strict.ExitCode, "kubectl's default --validate=strict rejects a field the schema does not declare");
        StringAssert.Contains(strict.Stderr, "junk");
        await K.OkAsync($"create -f {unknown} --validate=false");
        Assert.AreEqual("", await K.OkAsync("get widget widget-c -o 'jsonpath={.spec.junk}'"), "unknown fields are pruned");
    }

    // ---- get all / logs / exec / auth / top ----

    [TestMethod]
    public async Task GetAll_ListsPodsDeploymentsAndReplicaSets()
    {
        await K.OkAsync("create namespace all-ns");
        await OkCmdAsync("create", "deployment", "all-deploy", "-n", "all-ns", "--image=busybox:1", "--", "sleep", "200015");
        await K.OkAsync("rollout status deployment/all-deploy -n all-ns --timeout=90s", timeout: Rollout);
        var output = await K.OkAsync("get all -n all-ns");
        StringAssert.Matches(output, new Regex(@"(?m)^pod/all-deploy-[a-z0-9]+-[a-z0-9]+\s+1/1\s+Running\s"));
        StringAssert.Matches(output, new Regex(@"(?m)^deployment\.apps/all-deploy\s+1/1\s+1\s+1\s"));
        StringAssert.Matches(output, new Regex(@"(?m)^replicaset\.apps/all-deploy-[a-z0-9]+\s+1\s+1\s+1\s"));
    }

    [TestMethod]
    public async Task CreateToken_ForServiceAccount()
    {
        await K.OkAsync("create serviceaccount token-sa");
        var token = (await K.OkAsync("create token token-sa --duration=10m")).Trim();
        Assert.AreEqual(3, token.Split('.').Length, "a JWT: " + token);
    }

    [TestMethod]
    public async Task Logs_ShowContainerOutput_WithTail()
    {
        await OkCmdAsync("run", "logs-pod", "--image=busybox", "--restart=Never", "--", "sh", "-c", "echo first-line; echo second-line; sleep 200016");
        await K.OkAsync("wait --for=condition=Ready pod/logs-pod --timeout=90s", timeout: Rollout);
        string logs = "";
        var seen = await Wait.UntilAsync(async () =>
        {
            var r = await K.RunAsync("logs logs-pod");
            logs = r.Stdout + r.Stderr;
            return r.ExitCode == 0 && r.Stdout.Contains("second-line");
        }, TimeSpan.FromSeconds(30));
        Assert.IsTrue(seen, "kubectl logs: " + logs);
        Assert.AreEqual("first-line\nsecond-line\n", logs);
        Assert.AreEqual("second-line\n", await K.OkAsync("logs logs-pod --tail=1"));
    }

    [TestMethod]
    public async Task Exec_RunsCommand_WithStdinAndExitCode()
    {
        await CreateRunningPodAsync("exec-pod", 200017);
        Assert.AreEqual("hi-from-exec\n", await OkCmdAsync("exec", "exec-pod", "--", "echo", "hi-from-exec"));
        Assert.AreEqual("piped\n", await OkCmdWithStdinAsync("piped\n", "exec", "-i", "exec-pod", "--", "cat"));
        var r = await RunCmdAsync(null, "exec", "exec-pod", "--", "sh", "-c", "exit 3");
        Assert.AreEqual(3, r.ExitCode, r.Stderr);
    }

    [TestMethod]
    public async Task AuthCanI_AnswersYes()
    {
        Assert.AreEqual("yes", (await K.OkAsync("auth can-i create pods")).Trim());
        Assert.AreEqual("yes", (await K.OkAsync("auth can-i delete deployments.apps -n kube-system")).Trim());
    }

    [TestMethod]
    public async Task Top_ShowsNodeAndPodUsage()
    {
        await CreateRunningPodAsync("top-pod", 200018);
        StringAssert.Matches(await K.OkAsync("top nodes"), new Regex(@"(?m)^node-1\s+\d+m\s"));
        var seen = await Wait.UntilAsync(async () =>
        {
            var r = await K.RunAsync("top pod top-pod");
            return r.ExitCode == 0 && Regex.IsMatch(r.Stdout, @"(?m)^top-pod\s+\d+m\s+\d+Mi");
        }, TimeSpan.FromSeconds(60));
        Assert.IsTrue(seen, (await K.RunAsync("top pod top-pod")).Stderr);
    }
}
