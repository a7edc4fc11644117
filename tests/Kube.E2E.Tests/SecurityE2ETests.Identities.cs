using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>Networking's EndpointSlice controller runs under its own least-privilege identity.</summary>
public sealed partial class SecurityE2ETests
{
    [TestMethod]
    public async Task EndpointSliceController_RunsAsItsServiceAccount_WithLeastPrivilege()
    {
        const string sa = "system:serviceaccount:kube-system:endpointslice-controller";
        StringAssert.Contains(_host!.Log, $"Starting endpointslice-controller as {sa}");
        Assert.AreEqual("yes", (await Admin.RunAsync($"auth can-i create endpointslices.discovery.k8s.io -n default --as={sa}")).Stdout.Trim());
        Assert.AreEqual("no", (await Admin.RunAsync($"auth can-i delete pods -n default --as={sa}")).Stdout.Trim());
        Assert.AreEqual("no", (await Admin.RunAsync($"auth can-i list secrets -A --as={sa}")).Stdout.Trim());

        await NamespaceAsync("sec-eps");
        await Admin.OkAsync("create -f -", """
            apiVersion: v1
            kind: Service
            metadata: {name: web, namespace: sec-eps}
            spec:
              selector: {app: web}
              ports: [{port: 80, targetPort: 8080}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web-1, namespace: sec-eps, labels: {app: web}}
            spec:
              containers: [{name: main, image: busybox, command: ["sleep", "3600"]}]
            """);
        var slices = "";
        Assert.IsTrue(await Wait.UntilAsync(async () =>
        {
            slices = (await Admin.RunAsync("get endpointslices -n sec-eps -l kubernetes.io/service-name=web -o jsonpath={.items[*].endpoints[*].targetRef.name}")).Stdout;
            return slices.Contains("web-1", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(45)), "the controller wrote no EndpointSlice with web-1 under its identity: " + slices);
    }
}
