using System.Text;
using k8s.Models;
using Kube.Node.Runtime;

namespace Kube.Node.Tests.Agent;

/// <summary>Pod volumes through the agent with real processes: configMap, secret, emptyDir, updates, the host untouched.</summary>
[TestClass]
public sealed class VolumeIntegrationTests
{
    private AgentHarness _h = null!;

    [TestInitialize]
    public async Task Init() => _h = await AgentHarness.StartAsync(o => o.ResyncInterval = TimeSpan.FromMilliseconds(300));

    [TestCleanup]
    public async Task Cleanup() => await _h.DisposeAsync();

    [TestMethod]
    public async Task ConfigMapSecretAndEmptyDir_AppearInTheContainers_UpdatesPropagate_HostUnchanged()
    {
        var root = $"/etc/kube-vt-{Guid.NewGuid():N}";
        var etcBefore = Directory.EnumerateFileSystemEntries("/etc").Order().ToList();
        var marker = _h.Marker(3644);
        await _h.Client.CreateAsync(new V1ConfigMap
        {
            ApiVersion = "v1", Kind = "ConfigMap",
            Metadata = new V1ObjectMeta { Name = "cfg", NamespaceProperty = "default" },
            Data = new Dictionary<string, string> { ["app.conf"] = "version=1", ["greeting"] = "hello" },
        });
        await _h.Client.CreateAsync(new V1Secret
        {
            ApiVersion = "v1", Kind = "Secret",
            Metadata = new V1ObjectMeta { Name = "sec", NamespaceProperty = "default" },
            Data = new Dictionary<string, byte[]> { ["password"] = Encoding.UTF8.GetBytes("s3cret") },
        });
        await _h.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "vols", NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                NodeName = "node-1",
                Volumes =
                [
                    new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = "cfg", Items = [new V1KeyToPath { Key = "app.conf", Path = "conf/app.conf" }] } },
                    new V1Volume { Name = "sec", Secret = new V1SecretVolumeSource { SecretName = "sec", DefaultMode = 256 /* 0400 */ } },
                    new V1Volume { Name = "shared", EmptyDir = new V1EmptyDirVolumeSource() },
                ],
                Containers =
                [
                    new V1Container
                    {
                        Name = "main", Image = "busybox",
                        Command = ["sh", "-c", $"cat {root}/cfg/conf/app.conf; echo; echo \"env=$GREETING\"; cat {root}/sec/password; echo; stat -L -c %a {root}/sec/password; echo shared-data > /data/x; exec sleep {marker}"],
                        Env = [new V1EnvVar { Name = "GREETING", ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = "cfg", Key = "greeting" } } }],
                        VolumeMounts =
                        [
                            new V1VolumeMount { Name = "cfg", MountPath = root + "/cfg" },
                            new V1VolumeMount { Name = "sec", MountPath = root + "/sec" },
                            new V1VolumeMount { Name = "shared", MountPath = "/data" },
                        ],
                    },
                    new V1Container
                    {
                        Name = "reader", Image = "busybox",
                        Command = ["sh", "-c", $"while [ ! -f /shared/x ]; do sleep 0.05; done; cat /shared/x; exec sleep {marker}"],
                        VolumeMounts = [new V1VolumeMount { Name = "shared", MountPath = "/shared", ReadOnlyProperty = true }],
                    },
                ],
            },
        });

        try
        {
            await _h.WaitPodAsync("vols", p => p.Status?.Phase == "Running", "ran");
        }
        catch (AssertFailedException ex)
        {
            var events = (await _h.Client.ListAsync<Eventsv1Event>("default")).Items.Where(e => e.Type == "Warning").Select(e => e.Note);
            throw new AssertFailedException(ex.Message + "; warnings: " + string.Join(" | ", events), ex);
        }
        var log = await _h.WaitLogAsync("vols", "main", l => l.Contains("400\n", StringComparison.Ordinal));
        Assert.AreEqual("version=1\nenv=hello\ns3cret\n400\n", log);
        Assert.AreEqual("shared-data\n", await _h.WaitLogAsync("vols", "reader", l => l.Length > 0), "emptyDir is shared by both containers");

        var cm = await _h.Client.GetAsync<V1ConfigMap>("cfg", "default");
        cm.Data["app.conf"] = "version=2";
        await _h.Client.UpdateAsync(cm);
        var sandbox = (await _h.Agent.Runtime.ListPodSandboxesAsync(CancellationToken.None)).Single(s => s.PodName == "vols");
        var main = (await _h.Agent.Runtime.ListContainersAsync(sandbox.Id, CancellationToken.None)).Single(c => c.Name == "main");
        ExecResult? exec = null;
        Assert.IsTrue(await Wait.PollAsync(async () =>
            (exec = await _h.Agent.Runtime.ExecSyncAsync(main.Id, ["cat", $"{root}/cfg/conf/app.conf"], TimeSpan.FromSeconds(5), CancellationToken.None)).Output == "version=2",
            AgentHarness.Deadline), $"the update reaches the mounted file; last: {exec}");

        Assert.IsFalse(Path.Exists(root));
        Assert.IsFalse(Path.Exists("/data") && Directory.Exists("/data/x"));
        CollectionAssert.AreEqual(etcBefore, Directory.EnumerateFileSystemEntries("/etc").Order().ToList(), "the host's /etc is unchanged");
    }

    [TestMethod]
    public async Task MissingConfigMap_KeepsContainersCreating_WithAFailedMountEvent()
    {
        await _h.Client.CreateAsync(new V1Pod
        {
            ApiVersion = "v1", Kind = "Pod",
            Metadata = new V1ObjectMeta { Name = "nocfg", NamespaceProperty = "default" },
            Spec = new V1PodSpec
            {
                NodeName = "node-1",
                Volumes = [new V1Volume { Name = "cfg", ConfigMap = new V1ConfigMapVolumeSource { Name = "absent" } }],
                Containers = [new V1Container { Name = "main", Image = "busybox", Command = ["true"], VolumeMounts = [new V1VolumeMount { Name = "cfg", MountPath = "/etc/absent-cfg" }] }],
            },
        });

        Assert.IsTrue(await Wait.PollAsync(async () => (await _h.Client.ListAsync<Eventsv1Event>("default")).Items
            .Any(e => e.Reason == "FailedMount" && e.Regarding?.Name == "nocfg" && e.Note.Contains("configmap \"absent\" not found", StringComparison.Ordinal)), AgentHarness.Deadline));
        var pod = await _h.Client.GetAsync<V1Pod>("nocfg", "default");
        Assert.AreNotEqual("Running", pod.Status?.Phase);
    }
}
