using k8s.Models;
using Kube.ApiServer.Admission;
using Kube.ApiServer.InProcess;
using Kube.Core.Admission;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.Security;

/// <summary>The Priority admission plugin and the system PriorityClasses.</summary>
[TestClass]
public sealed class PriorityAdmissionTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        var client = new TaskCompletionSource<IKubeClient>();
        var deferred = new DeferredKubeClient(_ => client.Task);
        var services = new ServiceCollection()
            .AddSingleton<IAdmissionPlugin>(new PriorityAdmission(deferred, mutating: true))
            .AddSingleton<IAdmissionPlugin>(new PriorityAdmission(deferred, mutating: false))
            .BuildServiceProvider();
        _cluster = await TestCluster.StartAsync(services: services);
        client.SetResult(_cluster.Server.CreateClient(UserInfo.Admin));
    }

    [ClassCleanup]
    public static async Task CleanupAsync() => await _cluster.DisposeAsync();

    private static V1Pod Pod(string ns, string name, string? className = null) => new()
    {
        Metadata = new() { Name = name, NamespaceProperty = ns },
        Spec = new() { PriorityClassName = className, Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };

    private static V1PriorityClass Class(string name, int value, bool globalDefault = false, string? policy = null) => new()
    {
        ApiVersion = "scheduling.k8s.io/v1", Kind = "PriorityClass",
        Metadata = new() { Name = name }, Value = value, GlobalDefault = globalDefault, PreemptionPolicy = policy,
    };

    private static async Task<(int Code, string Message)> FailureAsync(Func<Task> act)
    {
        var e = await Assert.ThrowsAsync<KubeApiException>(act);
        return ((int)e.StatusCode, e.Status?.Message ?? e.Message);
    }

    [TestMethod]
    public async Task SystemClassesExist_AndResolve()
    {
        var node = await _cluster.Client.GetAsync<V1PriorityClass>(PriorityAdmission.SystemNodeCritical);
        Assert.AreEqual(2000001000, node.Value);
        var cluster = await _cluster.Client.GetAsync<V1PriorityClass>(PriorityAdmission.SystemClusterCritical);
        Assert.AreEqual(2000000000, cluster.Value);
        Assert.AreEqual("PreemptLowerPriority", cluster.PreemptionPolicy);

        await _cluster.Client.CreateAsync(new V1Namespace { Metadata = new() { Name = "prio-sys" } });
        var pod = await _cluster.Client.CreateAsync(Pod("prio-sys", "critical", PriorityAdmission.SystemNodeCritical));
        Assert.AreEqual(2000001000, pod.Spec.Priority);
        Assert.AreEqual("PreemptLowerPriority", pod.Spec.PreemptionPolicy);
    }

    [TestMethod]
    public async Task ClassNameResolves_MissingIsForbidden_ContradictingPriorityIsForbidden()
    {
        var c = _cluster.Client;
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = "prio" } });
        await c.CreateAsync(Class("prio-high", 1000, policy: "Never"));

        var pod = await c.CreateAsync(Pod("prio", "high", "prio-high"));
        Assert.AreEqual(1000, pod.Spec.Priority);
        Assert.AreEqual("Never", pod.Spec.PreemptionPolicy);

        var (code, message) = await FailureAsync(() => c.CreateAsync(Pod("prio", "lost", "no-such-class")));
        Assert.AreEqual(403, code);
        Assert.AreEqual("pods \"lost\" is forbidden: no PriorityClass with name no-such-class was found", message);

        var same = Pod("prio", "same", "prio-high");
        same.Spec.Priority = 1000;
        Assert.AreEqual(1000, (await c.CreateAsync(same)).Spec.Priority);

        var liar = Pod("prio", "liar", "prio-high");
        liar.Spec.Priority = 5;
        (code, message) = await FailureAsync(() => c.CreateAsync(liar));
        Assert.AreEqual(403, code);
        Assert.AreEqual("pods \"liar\" is forbidden: the integer value of priority (5) must not be provided in pod spec; "
            + "priority admission controller computed 1000 from the given PriorityClass name", message);

        var policy = Pod("prio", "policy", "prio-high");
        policy.Spec.PreemptionPolicy = "PreemptLowerPriority";
        (code, _) = await FailureAsync(() => c.CreateAsync(policy));
        Assert.AreEqual(403, code);

        // an update that leaves the priority out keeps it
        var stored = await c.GetAsync<V1Pod>("high", "prio");
        stored.Spec.Priority = null;
        stored.Metadata.Labels = new Dictionary<string, string> { ["x"] = "y" };
        Assert.AreEqual(1000, (await c.UpdateAsync(stored)).Spec.Priority);
    }

    [TestMethod]
    [DoNotParallelize]
    public async Task GlobalDefault_IsUsed_AndOnlyOneMayExist()
    {
        var c = _cluster.Client;
        await c.CreateAsync(new V1Namespace { Metadata = new() { Name = "prio-def" } });
        Assert.AreEqual(0, (await c.CreateAsync(Pod("prio-def", "before"))).Spec.Priority, "no default class: priority 0");

        await c.CreateAsync(Class("prio-default", 77, globalDefault: true));
        try
        {
            var pod = await c.CreateAsync(Pod("prio-def", "after"));
            Assert.AreEqual(77, pod.Spec.Priority);
            Assert.AreEqual("prio-default", pod.Spec.PriorityClassName);
            Assert.AreEqual("PreemptLowerPriority", pod.Spec.PreemptionPolicy);

            var (code, message) = await FailureAsync(() => c.CreateAsync(Class("prio-default-2", 5, globalDefault: true)));
            Assert.AreEqual(403, code);
            StringAssert.EndsWith(message, "PriorityClass prio-default is already marked as default. Only one default can exist");
        }
        finally
        {
            await c.DeleteAsync<V1PriorityClass>("prio-default");
        }
    }

    [TestMethod]
    public async Task PriorityClassValidation_FollowsUpstream()
    {
        var c = _cluster.Client;
        var (code, message) = await FailureAsync(() => c.CreateAsync(Class("system-mine", 10)));
        Assert.AreEqual(422, code);
        Assert.AreEqual("PriorityClass.scheduling.k8s.io \"system-mine\" is invalid: metadata.name: Forbidden: priority class names with 'system-' prefix "
            + "are reserved for system use only. error: system-mine is not a known system priority class", message);

        (code, message) = await FailureAsync(() => c.CreateAsync(Class("too-high", 1000000001)));
        Assert.AreEqual(422, code);
        Assert.AreEqual("PriorityClass.scheduling.k8s.io \"too-high\" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000", message);

        var ok = await c.CreateAsync(Class("prio-immutable", 10));
        ok.Value = 11;
        (code, _) = await FailureAsync(() => c.UpdateAsync(ok));
        Assert.AreEqual(422, code);
    }

    [TestMethod]
    [DataRow(PriorityAdmission.SystemNodeCritical)]
    [DataRow(PriorityAdmission.SystemClusterCritical)]
    public async Task SystemClasses_CannotBeDeleted_EvenByAnAdministrator(string name)
    {
        var (code, message) = await FailureAsync(() => _cluster.Client.DeleteAsync<V1PriorityClass>(name));
        Assert.AreEqual(403, code);
        Assert.AreEqual($"priorityclasses.scheduling.k8s.io \"{name}\" is forbidden: this is a system priority class and cannot be deleted", message);
        Assert.IsNotNull(await _cluster.Client.GetAsync<V1PriorityClass>(name));

        await _cluster.Client.CreateAsync(Class("deletable-" + name, 5));
        await _cluster.Client.DeleteAsync<V1PriorityClass>("deletable-" + name);
    }
}
