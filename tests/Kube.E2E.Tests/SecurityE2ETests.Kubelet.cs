using System.Globalization;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>The kubelet API authorizes each caller by a SubjectAccessReview to the API server (upstream's kubelet Webhook mode).</summary>
public sealed partial class SecurityE2ETests
{
    [TestMethod]
    public async Task KubeletApi_RefusesAUserWithoutNodesProxy_WithTheKubeletsForbidden()
    {
        await NamespaceAsync("sec-kubelet");
        await PodReaderRoleAsync("sec-kubelet");
        await BindAsync("sec-kubelet", "carol-reads-pods", "Role", "pod-reader", "User", "carol");
        await Admin.OkAsync("create -f -", """
            apiVersion: v1
            kind: Pod
            metadata: {name: talker, namespace: sec-kubelet}
            spec:
              containers: [{name: main, image: busybox, command: ["sleep", "3600"]}]
            """);
        await Admin.OkAsync("wait --for=condition=Ready pod/talker -n sec-kubelet --timeout=60s", timeout: TimeSpan.FromSeconds(70));

        // through the API server, RBAC lets carol get the pod but not its log or an exec
        var carol = await UserAsync("carol");
        StringAssert.Contains(await carol.OkAsync("get pods -n sec-kubelet"), "talker");
        StringAssert.Contains((await carol.RunAsync("logs talker -n sec-kubelet")).Stderr, "User \"carol\" cannot get resource \"pods/log\"");

        // straight at the kubelet (carol's certificate is from the cluster CA, so the kubelet authenticates her): the kubelet asks
        // the API server (SubjectAccessReview for nodes/proxy) and refuses with its own 403, which kubectl shows
        var node = (await Admin.OkAsync("get pod talker -n sec-kubelet -o jsonpath={.spec.nodeName}")).Trim();
        var port = int.Parse(await Admin.OkAsync($"get node {node} -o jsonpath={{.status.daemonEndpoints.kubeletEndpoint.Port}}"), CultureInfo.InvariantCulture);
        var r = await ToolProcess.KubeHostAsync("kubeconfig", "--data-dir", _host!.DataDir, "--user", "carol", "--server", $"https://127.0.0.1:{port}",
            "--out", Path.Combine(_dir, "carol-kubelet.kubeconfig"));
        Assert.AreEqual(0, r.ExitCode, r.Stdout + r.Stderr);
        var carolAtKubelet = As(r.Stdout.Trim(), "carol-kubelet");
        var logs = await carolAtKubelet.RunAsync("get --raw /containerLogs/sec-kubelet/talker/main");
        Assert.AreNotEqual(0, logs.ExitCode);
        StringAssert.Contains(logs.Stderr, "Forbidden (user=carol, verb=get, resource=nodes, subresource=proxy)");

        // RBAC on nodes/stats lets her read the node's stats from the kubelet, and only those
        await Admin.OkAsync("apply -f -", $$"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: sec-node-stats}
            rules: [{apiGroups: [""], resources: [nodes/stats], verbs: [get]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: sec-carol-node-stats}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: sec-node-stats}
            subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: carol}]
            """);
        KubectlResult? allowed = null;
        // (not asked before the grant: the kubelet would cache a denial for 30 s, upstream's cacheUnauthorizedTTL)
        Assert.IsTrue(await Wait.UntilAsync(async () => (allowed = await carolAtKubelet.RunAsync("get --raw /stats/summary")).ExitCode == 0, TimeSpan.FromSeconds(20)),
            "nodes/stats granted, still: " + allowed?.Stderr);
        StringAssert.Contains(allowed!.Stdout, node);
        StringAssert.Contains((await carolAtKubelet.RunAsync("get --raw /containerLogs/sec-kubelet/talker/main")).Stderr,
            "Forbidden (user=carol, verb=get, resource=nodes, subresource=proxy)");
    }
}
