using Kube.ApiServer.Admission;
using Kube.ApiServer.InProcess;
using Kube.Core.Admission;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.Security;

/// <summary>PodSecurity admission checks what kubectl debug adds through pods/ephemeralcontainers, as upstream's does.</summary>
[TestClass]
public sealed class EphemeralContainerPodSecurityTests
{
    [TestMethod]
    public async Task PrivilegedEphemeralContainer_InABaselineNamespace_IsForbidden_APlainOneIsNot()
    {
        var client = new TaskCompletionSource<IKubeClient>();
        var services = new ServiceCollection()
            .AddSingleton<IAdmissionPlugin>(new PodSecurityAdmission(new DeferredKubeClient(_ => client.Task)))
            .BuildServiceProvider();
        await using var cluster = await TestCluster.StartAsync(services: services);
        client.SetResult(cluster.Server.CreateClient(UserInfo.Admin));
        var created = await cluster.PostAsync("/api/v1/namespaces",
            "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"base\",\"labels\":{\"" + PodSecurityAdmission.EnforceLabel + "\":\"baseline\"}}}");
        Assert.AreEqual(201, created.Code, created.Body?.ToJsonString());
        var pod = await cluster.PostAsync("/api/v1/namespaces/base/pods", Objects.Pod("target", "base"));
        Assert.AreEqual(201, pod.Code, pod.Body?.ToJsonString());

        const string path = "/api/v1/namespaces/base/pods/target/ephemeralcontainers";
        const string smp = "application/strategic-merge-patch+json";
        var privileged = await cluster.SendAsync(HttpMethod.Patch, path,
            "{\"spec\":{\"ephemeralContainers\":[{\"name\":\"root\",\"image\":\"busybox\",\"securityContext\":{\"privileged\":true}}]}}", smp);
        Assert.AreEqual(403, privileged.Code, privileged.Body?.ToJsonString());
        StringAssert.Contains(privileged.Body!["message"]!.GetValue<string>(), "violates PodSecurity \"baseline:latest\": privileged (container \"root\"");

        var plain = await cluster.SendAsync(HttpMethod.Patch, path, "{\"spec\":{\"ephemeralContainers\":[{\"name\":\"plain\",\"image\":\"busybox\"}]}}", smp);
        Assert.AreEqual(200, plain.Code, plain.Body?.ToJsonString());
    }
}
