using Kube.ApiServer.Tables;

namespace Kube.ApiServer.Tests.Tables;

[TestClass]
public sealed class TableTests
{
    private const string TableAccept = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

    [TestMethod]
    [DataRow(5, "5s")]
    [DataRow(119, "119s")]
    [DataRow(303, "5m3s")]
    [DataRow(600, "10m")]
    [DataRow(3 * 3600 + 300, "3h5m")]
    [DataRow(20 * 3600, "20h")]
    [DataRow(2 * 86400 + 4 * 3600, "2d4h")]
    [DataRow(30 * 86400, "30d")]
    [DataRow(3 * 365 * 86400 + 15 * 86400, "3y15d")]
    public void HumanDuration_FormatsLikeKubectl(int seconds, string expected) =>
        Assert.AreEqual(expected, HumanDuration.Format(TimeSpan.FromSeconds(seconds)));

    [TestMethod]
    public async Task Pods_Table_HasKubectlColumnsAndStatus()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("p1", nodeName: "n1"));
        await cluster.SendAsync(HttpMethod.Patch, "/api/v1/namespaces/default/pods/p1/status", """
            {"status":{"phase":"Running","podIP":"10.1.0.5","containerStatuses":[{"name":"c","ready":true,"restartCount":2,"image":"busybox","imageID":"","state":{"running":{}}}]}}
            """, "application/merge-patch+json");
        await cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("p2"));
        await cluster.SendAsync(HttpMethod.Patch, "/api/v1/namespaces/default/pods/p2/status", """
            {"status":{"containerStatuses":[{"name":"c","ready":false,"restartCount":0,"image":"busybox","imageID":"","state":{"waiting":{"reason":"ContainerCreating"}}}]}}
            """, "application/merge-patch+json");
        var r = await cluster.GetAsync("/api/v1/namespaces/default/pods", TableAccept);
        Assert.AreEqual("Table", r.Body!["kind"]!.GetValue<string>());
        Assert.AreEqual("meta.k8s.io/v1", r.Body!["apiVersion"]!.GetValue<string>());
        var columns = r.Body!["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList();
        CollectionAssert.AreEqual(new[] { "Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates" }, columns);
        Assert.AreEqual(1, r.Body!["columnDefinitions"]![5]!["priority"]!.GetValue<int>());
        var rows = r.Body!["rows"]!.AsArray();
        var p1 = rows[0]!["cells"]!.AsArray();
        Assert.AreEqual("p1", p1[0]!.GetValue<string>());
        Assert.AreEqual("1/1", p1[1]!.GetValue<string>());
        Assert.AreEqual("Running", p1[2]!.GetValue<string>());
        Assert.AreEqual("2", p1[3]!.GetValue<string>());
        Assert.AreEqual("10.1.0.5", p1[5]!.GetValue<string>());
        Assert.AreEqual("n1", p1[6]!.GetValue<string>());
        Assert.AreEqual("PartialObjectMetadata", rows[0]!["object"]!["kind"]!.GetValue<string>());
        Assert.AreEqual("ContainerCreating", rows[1]!["cells"]![2]!.GetValue<string>());
    }

    [TestMethod]
    public async Task Nodes_Deployments_Services_Namespaces_Tables()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync("/api/v1/nodes", Objects.Node("n1"));
        await cluster.PostAsync("/api/v1/nodes", Objects.Node("n2", ready: false));
        var nodes = await cluster.GetAsync("/api/v1/nodes", TableAccept);
        var n1 = nodes.Body!["rows"]![0]!["cells"]!.AsArray();
        Assert.AreEqual("Ready", n1[1]!.GetValue<string>());
        Assert.AreEqual("control-plane", n1[2]!.GetValue<string>());
        Assert.AreEqual("v1.32.0", n1[4]!.GetValue<string>());
        Assert.AreEqual("10.0.0.1", n1[5]!.GetValue<string>());
        Assert.AreEqual("NotReady", nodes.Body!["rows"]![1]!["cells"]![1]!.GetValue<string>());

        await cluster.PostAsync("/apis/apps/v1/namespaces/default/deployments", Objects.Deployment("web", 3));
        await cluster.SendAsync(HttpMethod.Patch, "/apis/apps/v1/namespaces/default/deployments/web/status",
            """{"status":{"readyReplicas":2,"updatedReplicas":3,"availableReplicas":2,"replicas":3}}""", "application/merge-patch+json");
        var dep = await cluster.GetAsync("/apis/apps/v1/namespaces/default/deployments/web", TableAccept);
        var cells = dep.Body!["rows"]![0]!["cells"]!.AsArray();
        Assert.AreEqual("2/3", cells[1]!.GetValue<string>());
        Assert.AreEqual(3, cells[2]!.GetValue<int>());
        Assert.AreEqual(2, cells[3]!.GetValue<int>());

        await cluster.PostAsync("/api/v1/namespaces/default/services",
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"clusterIP":"10.96.0.10","ports":[{"port":53,"protocol":"UDP"},{"port":80}]}}""");
        var svc = await cluster.GetAsync("/api/v1/namespaces/default/services", TableAccept);
        var s = svc.Body!["rows"]![0]!["cells"]!.AsArray();
        Assert.AreEqual("ClusterIP", s[1]!.GetValue<string>());
        Assert.AreEqual("10.96.0.10", s[2]!.GetValue<string>());
        Assert.AreEqual("<none>", s[3]!.GetValue<string>());
        Assert.AreEqual("53/UDP,80/TCP", s[4]!.GetValue<string>());

        var ns = await cluster.GetAsync("/api/v1/namespaces", TableAccept);
        var names = ns.Body!["rows"]!.AsArray().Select(r => r!["cells"]![0]!.GetValue<string>()).ToList();
        CollectionAssert.IsSubsetOf(new[] { "default", "kube-system", "kube-public", "kube-node-lease" }, names);
        Assert.AreEqual("Active", ns.Body!["rows"]![0]!["cells"]![1]!.GetValue<string>());

        var cm = await cluster.GetAsync("/api/v1/namespaces/default/configmaps", TableAccept);
        CollectionAssert.AreEqual(new[] { "Name", "Data", "Age" }, cm.Body!["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList());
    }

    [TestMethod]
    public async Task TerminatingPod_ShowsTerminating()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync("/api/v1/namespaces/default/pods", Objects.Pod("p", nodeName: "n1"));
        await cluster.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/pods/p");
        var r = await cluster.GetAsync("/api/v1/namespaces/default/pods/p", TableAccept);
        Assert.AreEqual("Terminating", r.Body!["rows"]![0]!["cells"]![2]!.GetValue<string>());
    }
    private static async Task<(List<string> Columns, List<string?> Cells)> FirstRowAsync(TestCluster cluster, string path)
    {
        var r = await cluster.GetAsync(path, TableAccept);
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
        var columns = r.Body!["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()).ToList();
        var cells = r.Body!["rows"]![0]!["cells"]!.AsArray().Select(c => c?.ToString()).ToList();
        return (columns, cells);
    }

    [TestMethod]
    public async Task StorageRbacPolicyKinds_HaveKubectlColumns()
    {
        await using var cluster = await TestCluster.StartAsync();
        await cluster.PostAsync("/api/v1/persistentvolumes", """
            {"apiVersion":"v1","kind":"PersistentVolume","metadata":{"name":"pv1"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteMany","ReadWriteOnce"],
             "persistentVolumeReclaimPolicy":"Retain","storageClassName":"manual","hostPath":{"path":"/tmp/pv1"},"claimRef":{"namespace":"default","name":"c1"}}}
            """);
        var (pvColumns, pv) = await FirstRowAsync(cluster, "/api/v1/persistentvolumes");
        CollectionAssert.AreEqual(new[] { "Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass", "VolumeAttributesClass", "Reason", "Age", "VolumeMode" }, pvColumns);
        Assert.AreEqual("1Gi", pv[1]);
        Assert.AreEqual("RWO,RWX", pv[2]);
        Assert.AreEqual("Retain", pv[3]);
        Assert.AreEqual("default/c1", pv[5]);
        Assert.AreEqual("manual", pv[6]);
        Assert.AreEqual("<unset>", pv[7]);

        await cluster.PostAsync("/api/v1/namespaces/default/persistentvolumeclaims", """
            {"apiVersion":"v1","kind":"PersistentVolumeClaim","metadata":{"name":"c1"},"spec":{"accessModes":["ReadWriteOnce"],"storageClassName":"manual","resources":{"requests":{"storage":"1Gi"}}}}
            """);
        var (pvcColumns, pvc) = await FirstRowAsync(cluster, "/api/v1/namespaces/default/persistentvolumeclaims");
        CollectionAssert.AreEqual(new[] { "Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass", "VolumeAttributesClass", "Age", "VolumeMode" }, pvcColumns);
        Assert.AreEqual("", pvc[2]); // not bound yet: no volume, capacity or modes
        Assert.AreEqual("", pvc[3]);
        Assert.AreEqual("manual", pvc[5]);

        await cluster.PostAsync("/apis/storage.k8s.io/v1/storageclasses", """
            {"apiVersion":"storage.k8s.io/v1","kind":"StorageClass","metadata":{"name":"fast","annotations":{"storageclass.kubernetes.io/is-default-class":"true"}},
             "provisioner":"example.com/fast","volumeBindingMode":"WaitForFirstConsumer"}
            """);
        var (_, sc) = await FirstRowAsync(cluster, "/apis/storage.k8s.io/v1/storageclasses");
        CollectionAssert.AreEqual(new[] { "fast (default)", "example.com/fast", "Delete", "WaitForFirstConsumer", "false" }, sc.Take(5).ToList());

        await cluster.PostAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"rb"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},
             "subjects":[{"kind":"User","name":"alice","apiGroup":"rbac.authorization.k8s.io"},{"kind":"ServiceAccount","name":"sa","namespace":"default"}]}
            """);
        var (rbColumns, rb) = await FirstRowAsync(cluster, "/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings");
        CollectionAssert.AreEqual(new[] { "Name", "Role", "Age", "Users", "Groups", "ServiceAccounts" }, rbColumns);
        Assert.AreEqual("ClusterRole/view", rb[1]);
        Assert.AreEqual("alice", rb[3]);
        Assert.AreEqual("default/sa", rb[5]);

        await cluster.PostAsync("/apis/policy/v1/namespaces/default/poddisruptionbudgets", """
            {"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"pdb"},"spec":{"minAvailable":"50%","selector":{"matchLabels":{"app":"x"}}}}
            """);
        var (_, pdb) = await FirstRowAsync(cluster, "/apis/policy/v1/namespaces/default/poddisruptionbudgets");
        Assert.AreEqual("50%", pdb[1]);
        Assert.AreEqual("N/A", pdb[2]);

        await cluster.PostAsync("/api/v1/namespaces/default/resourcequotas", """
            {"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"q"},"spec":{"hard":{"pods":"10","limits.cpu":"2","requests.cpu":"1"}}}
            """);
        var (rqColumns, rq) = await FirstRowAsync(cluster, "/api/v1/namespaces/default/resourcequotas");
        CollectionAssert.AreEqual(new[] { "Name", "Age", "Request", "Limit" }, rqColumns);
        StringAssert.Contains(rq[2], "pods: ");
        StringAssert.Contains(rq[2], "/10");
        StringAssert.Contains(rq[3], "limits.cpu: ");
        Assert.IsFalse(rq[2]!.Contains("limits.", StringComparison.Ordinal), rq[2]);

        await cluster.PostAsync("/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles", """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"reader"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}
            """);
        var (roleColumns, role) = await FirstRowAsync(cluster, "/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles");
        CollectionAssert.AreEqual(new[] { "Name", "Created At" }, roleColumns);
        StringAssert.Matches(role[1], new System.Text.RegularExpressions.Regex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"));
    }
}
