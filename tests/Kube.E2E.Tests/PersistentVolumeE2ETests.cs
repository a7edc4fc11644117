using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// The persistentvolume-binder and the storage-protection controllers in a real <c>kube-host up</c>, driven by the real
/// kubectl: a hostPath PersistentVolume and a claim bind, a pod writes through the claim into the volume's directory,
/// and deleting the claim releases the volume.
/// </summary>
[TestClass]
public sealed class PersistentVolumeE2ETests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(150);
    private static KubectlHost? _cluster;

    private static KubectlHost Cluster => _cluster ?? throw new InvalidOperationException("the cluster did not start");

    private static Kubectl K => Cluster.Kubectl;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _) => _cluster = await KubectlHost.StartAsync("pv");

    [ClassCleanup]
    public static Task StopClusterAsync() => KubectlHost.StopAsync(_cluster);

    [TestInitialize]
    public void RequireKubectl() => Kubectl.RequireInstalled();

    [TestMethod]
    public async Task HostPathVolumeAndClaim_Bind_APodWritesThroughTheClaim_AndDeletingTheClaimReleasesTheVolume()
    {
        var volumeDir = Path.Combine(Cluster.Dir, "pv-data");
        Directory.CreateDirectory(volumeDir);
        await K.OkAsync("create -f -", stdin: $$$"""
            apiVersion: v1
            kind: PersistentVolume
            metadata: {name: e2e-pv}
            spec:
              capacity: {storage: 2Gi}
              accessModes: [ReadWriteOnce]
              persistentVolumeReclaimPolicy: Retain
              storageClassName: ""
              hostPath: {path: "{{{volumeDir}}}"}
            ---
            apiVersion: v1
            kind: PersistentVolumeClaim
            metadata: {name: e2e-claim}
            spec:
              accessModes: [ReadWriteOnce]
              storageClassName: ""
              resources: {requests: {storage: 1Gi}}
            """);

        var bound = await Wait.UntilAsync(async () =>
            await K.OkAsync("get pvc e2e-claim -o 'jsonpath={.status.phase} {.spec.volumeName} {.status.capacity.storage}'") == "Bound e2e-pv 2Gi", Long);
        Assert.IsTrue(bound, $"{await K.RunAsync("get pvc,pv -o yaml")}\n{await K.RunAsync("get events")}\n{Cluster.Host.Log}");
        Assert.AreEqual("Bound default/e2e-claim", await K.OkAsync("get pv e2e-pv -o 'jsonpath={.status.phase} {.spec.claimRef.namespace}/{.spec.claimRef.name}'"));
        Assert.AreEqual("yes yes", await K.OkAsync(
            @"get pvc e2e-claim -o 'jsonpath={.metadata.annotations.pv\.kubernetes\.io/bind-completed} {.metadata.annotations.pv\.kubernetes\.io/bound-by-controller}'"));
        StringAssert.Contains(await K.OkAsync("get pvc e2e-claim -o 'jsonpath={.metadata.finalizers}'"), "kubernetes.io/pvc-protection");
        StringAssert.Contains(await K.OkAsync("get pvc"), "e2e-claim");

        // StorageObjectInUseProtection admission: the created object itself carries the finalizer.
        var created = await K.OkAsync("create -o 'jsonpath={.metadata.finalizers}' -f -", stdin: """
            apiVersion: v1
            kind: PersistentVolume
            metadata: {name: e2e-spare}
            spec:
              capacity: {storage: 1Gi}
              accessModes: [ReadWriteOnce]
              storageClassName: spare
              hostPath: {path: /tmp/kube-e2e-spare}
            """);
        StringAssert.Contains(created, "kubernetes.io/pv-protection");

        await K.OkAsync("create -f -", stdin: """
            apiVersion: v1
            kind: Pod
            metadata: {name: e2e-writer}
            spec:
              restartPolicy: Never
              volumes:
              - {name: data, persistentVolumeClaim: {claimName: e2e-claim}}
              containers:
              - name: main
                image: busybox
                command: ["sh", "-c", "echo written-through-the-claim > /data/out"]
                volumeMounts:
                - {name: data, mountPath: /data}
            """);
        var done = await Wait.UntilAsync(async () => await K.OkAsync("get pod e2e-writer -o 'jsonpath={.status.phase}'") == "Succeeded", Long);
        Assert.IsTrue(done, $"{await K.RunAsync("get pod e2e-writer -o yaml")}\n{await K.RunAsync("get events")}");
        Assert.AreEqual("written-through-the-claim\n", await File.ReadAllTextAsync(Path.Combine(volumeDir, "out")));

        await K.OkAsync("delete pod e2e-writer --wait=true --timeout=60s", timeout: TimeSpan.FromSeconds(70));
        await K.OkAsync("delete pvc e2e-claim --wait=true --timeout=60s", timeout: TimeSpan.FromSeconds(70));
        var released = await Wait.UntilAsync(async () => await K.OkAsync("get pv e2e-pv -o 'jsonpath={.status.phase}'") == "Released", Long);
        Assert.IsTrue(released, (await K.RunAsync("get pv e2e-pv -o yaml")).ToString());
        Assert.IsTrue(File.Exists(Path.Combine(volumeDir, "out")), "Retain keeps the data");
    }
}
