using System.Text.Json.Nodes;
using k8s.Models;
using Kube.ApiServer.Admission;
using Kube.ApiServer.InProcess;
using Kube.Core.Admission;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.Security;

/// <summary>PodSecurity admission from namespace labels.</summary>
[TestClass]
public sealed class PodSecurityTests
{
    private static TestCluster _cluster = null!;

    [ClassInitialize]
    public static async Task InitAsync(TestContext _)
    {
        var client = new TaskCompletionSource<IKubeClient>();
        var services = new ServiceCollection()
            .AddSingleton<IAdmissionPlugin>(new PodSecurityAdmission(new DeferredKubeClient(_ => client.Task)))
            .BuildServiceProvider();
        _cluster = await TestCluster.StartAsync(services: services);
        client.SetResult(_cluster.Server.CreateClient(UserInfo.Admin));
        await _cluster.Client.CreateAsync(new V1Namespace
        {
            Metadata = new() { Name = "locked", Labels = new Dictionary<string, string> { [PodSecurityAdmission.EnforceLabel] = "restricted" } },
        });
        await _cluster.Client.CreateAsync(new V1Namespace
        {
            Metadata = new() { Name = "warned", Labels = new Dictionary<string, string> { [PodSecurityAdmission.WarnLabel] = "baseline" } },
        });
    }

    [ClassCleanup]
    public static async Task CleanupAsync() => await _cluster.DisposeAsync();

    private static V1Pod Privileged(string ns) => new()
    {
        Metadata = new() { Name = "priv", NamespaceProperty = ns },
        Spec = new() { Containers = [new V1Container { Name = "c", Image = "busybox", SecurityContext = new V1SecurityContext { Privileged = true } }] },
    };

    [TestMethod]
    public async Task PrivilegedPod_InRestrictedNamespace_IsForbiddenWithUpstreamMessage()
    {
        var (code, body, _) = await _cluster.PostAsync("/api/v1/namespaces/locked/pods", k8s.KubernetesJson.Serialize(Privileged("locked")));
        Assert.AreEqual(403, code);
        var message = body!["message"]!.GetValue<string>();
        StringAssert.StartsWith(message, "pods \"priv\" is forbidden: violates PodSecurity \"restricted:latest\": privileged (container \"c\" must not set securityContext.privileged=true)");
        StringAssert.Contains(message, "allowPrivilegeEscalation != false (container \"c\" must set securityContext.allowPrivilegeEscalation=false)");
        StringAssert.Contains(message, "runAsNonRoot != true (pod or container \"c\" must set securityContext.runAsNonRoot=true)");

        var ok = new V1Pod
        {
            Metadata = new() { Name = "ok", NamespaceProperty = "locked" },
            Spec = new()
            {
                SecurityContext = new V1PodSecurityContext { RunAsNonRoot = true, SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" } },
                Containers =
                [
                    new V1Container
                    {
                        Name = "c", Image = "busybox",
                        SecurityContext = new V1SecurityContext { AllowPrivilegeEscalation = false, Capabilities = new V1Capabilities { Drop = ["ALL"] } },
                    },
                ],
            },
        };
        await _cluster.Client.CreateAsync(ok);
        await _cluster.Client.CreateAsync(Privileged("default")); // unlabelled: privileged
    }

    [TestMethod]
    public async Task WarnLabel_AdmitsWithAWarning()
    {
        var (code, _, resp) = await _cluster.PostAsync("/api/v1/namespaces/warned/pods", k8s.KubernetesJson.Serialize(Privileged("warned")));
        Assert.AreEqual(201, code);
        var warning = string.Join("\n", resp.Headers.TryGetValues("Warning", out var w) ? w : []);
        StringAssert.Contains(warning, "would violate PodSecurity");
        StringAssert.Contains(warning, "baseline:latest");
    }

    [TestMethod]
    public void BaselineChecks_CoverHostNamespacesPathsAndPorts()
    {
        var pod = JsonNode.Parse("""
            {"spec":{"hostNetwork":true,"volumes":[{"name":"root","hostPath":{"path":"/"}}],
              "containers":[{"name":"a","image":"x","ports":[{"containerPort":80,"hostPort":8080}],"securityContext":{"capabilities":{"add":["SYS_ADMIN"]}}}]}}
            """)!.AsObject();
        var v = PodSecurityAdmission.Check(pod, "baseline");
        CollectionAssert.AreEqual(new[]
        {
            "host namespaces (hostNetwork=true)",
            "non-default capabilities (container \"a\" must not include \"SYS_ADMIN\" in securityContext.capabilities.add)",
            "hostPath volumes (volume \"root\")",
            "hostPort (container \"a\" uses hostPort 8080)",
        }, v);
        Assert.AreEqual(0, PodSecurityAdmission.Check(pod, "privileged").Count);
    }
}
