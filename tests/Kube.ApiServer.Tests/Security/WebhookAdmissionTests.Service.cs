using k8s.Models;
using Kube.Core.Admission;
using Kube.Core.Client;

namespace Kube.ApiServer.Tests.Security;

/// <summary>Webhooks reached through clientConfig.service (Service → EndpointSlice → ready address, TLS name &lt;svc&gt;.&lt;ns&gt;.svc), reinvocation, and no identity exemption.</summary>
public sealed partial class WebhookAdmissionTests
{
    private static V1RuleWithOperations ConfigMapRule() => new() { Operations = ["CREATE"], ApiGroups = [""], ApiVersions = ["v1"], Resources = ["configmaps"] };

    private static V1LabelSelector NamespaceLabelled(string key) => new() { MatchLabels = new Dictionary<string, string> { [key] = "on" } };

    /// <summary>The webhook's namespace (not selected by any webhook) with Services "hook" (certificate name matches) and "other" (it does not), both backed by the test's webhook server.</summary>
    private static async Task EnsureHookServicesAsync()
    {
        try
        {
            await _client.CreateAsync(new V1Namespace { Metadata = new() { Name = "wh-hooks" } });
        }
        catch (AlreadyExistsException)
        {
            return;
        }
        foreach (var name in new[] { "hook", "other" })
        {
            await _client.CreateAsync(new V1Service
            {
                Metadata = new() { Name = name, NamespaceProperty = "wh-hooks" },
                Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 443, TargetPort = _port }] },
            });
            await _client.CreateAsync(new V1EndpointSlice
            {
                Metadata = new() { Name = name + "-1", NamespaceProperty = "wh-hooks", Labels = new Dictionary<string, string> { ["kubernetes.io/service-name"] = name } },
                AddressType = "IPv4",
                Ports = [new Discoveryv1EndpointPort { Port = _port, Protocol = "TCP" }],
                Endpoints =
                [
                    new V1Endpoint { Addresses = ["127.0.0.1"], Conditions = new V1EndpointConditions { Ready = true } },
                    new V1Endpoint { Addresses = ["127.0.0.2"], Conditions = new V1EndpointConditions { Ready = false } },
                ],
            });
        }
    }

    private static Admissionregistrationv1WebhookClientConfig ServiceConfig(string service, string path) => new()
    {
        Service = new Admissionregistrationv1ServiceReference { Name = service, NamespaceProperty = "wh-hooks", Path = path },
        CaBundle = _caBundle,
    };

    [TestMethod]
    public async Task ServiceWebhook_IsCalledAtAReadyEndpoint_AndVerifiedAsServiceDnsName()
    {
        await EnsureHookServicesAsync();
        await _client.CreateAsync(new V1Namespace { Metadata = new() { Name = "wh-svc", Labels = new Dictionary<string, string> { ["svc-hooks"] = "on" } } });
        await _client.CreateAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new() { Name = "by-service" },
            Webhooks =
            [
                new V1ValidatingWebhook
                {
                    Name = "svc.example.com", Rules = [ConfigMapRule()], NamespaceSelector = NamespaceLabelled("svc-hooks"), SideEffects = "None",
                    AdmissionReviewVersions = ["v1"], ClientConfig = ServiceConfig("hook", "/validate"),
                },
            ],
        });
        var ok = await _client.CreateAsync(ConfigMap("wh-svc", "fine", "fine"));
        Assert.AreEqual("fine", ok.Metadata.Name);
        var denied = await Assert.ThrowsExactlyAsync<ForbiddenException>(() => _client.CreateAsync(ConfigMap("wh-svc", "bad", "forbidden")));
        Assert.AreEqual("admission webhook \"svc.example.com\" denied the request: no forbidden keys, tester", denied.Status.Message);

        // the same server behind Service "other": its certificate does not name other.wh-hooks.svc, so the call fails (failurePolicy Fail)
        await _client.CreateAsync(new V1Namespace { Metadata = new() { Name = "wh-svc2", Labels = new Dictionary<string, string> { ["svc-hooks2"] = "on" } } });
        await _client.CreateAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new() { Name = "by-other-service" },
            Webhooks =
            [
                new V1ValidatingWebhook
                {
                    Name = "other.example.com", Rules = [ConfigMapRule()], NamespaceSelector = NamespaceLabelled("svc-hooks2"), SideEffects = "None",
                    AdmissionReviewVersions = ["v1"], ClientConfig = ServiceConfig("other", "/validate"),
                },
                new V1ValidatingWebhook
                {
                    Name = "missing.example.com", Rules = [ConfigMapRule()], NamespaceSelector = NamespaceLabelled("svc-hooks2"), SideEffects = "None",
                    AdmissionReviewVersions = ["v1"], ClientConfig = ServiceConfig("missing", "/validate"), FailurePolicy = "Ignore",
                },
            ],
        });
        var failed = await Assert.ThrowsAsync<KubeApiException>(() => _client.CreateAsync(ConfigMap("wh-svc2", "x", "fine")));
        Assert.AreEqual(500, failed.Status.Code);
        StringAssert.StartsWith(failed.Status.Message,
            "Internal error occurred: failed calling webhook \"other.example.com\": failed to call webhook: Post \"https://other.wh-hooks.svc:443/validate?timeout=10s\":");
    }

    [TestMethod]
    public async Task ServiceWebhook_WithoutReadyEndpoints_FailsWithUpstreamsMessage()
    {
        await EnsureHookServicesAsync();
        await _client.CreateAsync(new V1Namespace { Metadata = new() { Name = "wh-noep", Labels = new Dictionary<string, string> { ["noep-hooks"] = "on" } } });
        await _client.CreateAsync(new V1Service
        {
            Metadata = new() { Name = "idle", NamespaceProperty = "wh-hooks" },
            Spec = new V1ServiceSpec { Ports = [new V1ServicePort { Port = 8443, TargetPort = _port }] },
        });
        Admissionregistrationv1WebhookClientConfig At(string service)
        {
            var c = ServiceConfig(service, "/validate");
            c.Service.Port = 8443;
            return c;
        }
        await _client.CreateAsync(new V1ValidatingWebhookConfiguration
        {
            Metadata = new() { Name = "by-idle-service" },
            Webhooks =
            [
                new V1ValidatingWebhook
                {
                    Name = "idle.example.com", Rules = [ConfigMapRule()], NamespaceSelector = NamespaceLabelled("noep-hooks"), SideEffects = "None",
                    AdmissionReviewVersions = ["v1"], ClientConfig = At("idle"),
                },
                new V1ValidatingWebhook
                {
                    Name = "noport.example.com", Rules = [ConfigMapRule()], NamespaceSelector = NamespaceLabelled("noep-hooks"), SideEffects = "None",
                    AdmissionReviewVersions = ["v1"], ClientConfig = At("hook"),
                },
            ],
        });
        var failed = await Assert.ThrowsAsync<KubeApiException>(() => _client.CreateAsync(ConfigMap("wh-noep", "x", "fine")));
        Assert.AreEqual(500, failed.Status.Code);
        StringAssert.EndsWith(failed.Status.Message, "Post \"https://idle.wh-hooks.svc:8443/validate?timeout=10s\": no endpoints available for service \"idle\"");

        var config = await _client.GetAsync<V1ValidatingWebhookConfiguration>("by-idle-service");
        config.Webhooks[0].FailurePolicy = "Ignore";
        await _client.UpdateAsync(config);
        failed = await Assert.ThrowsAsync<KubeApiException>(() => _client.CreateAsync(ConfigMap("wh-noep", "y", "fine")));
        StringAssert.EndsWith(failed.Status.Message, "Post \"https://hook.wh-hooks.svc:8443/validate?timeout=10s\": no service port 8443 found for service \"hook\"");
    }

    [TestMethod]
    public async Task IfNeededWebhook_IsReinvoked_WhenALaterWebhookChangedTheObject()
    {
        await _client.CreateAsync(new V1Namespace { Metadata = new() { Name = "wh-re", Labels = new Dictionary<string, string> { ["re-hooks"] = "on" } } });
        V1MutatingWebhook Hook(string key, string? policy) => new()
        {
            Name = $"{key}.example.com", Rules = [ConfigMapRule()], NamespaceSelector = NamespaceLabelled("re-hooks"), SideEffects = "None",
            AdmissionReviewVersions = ["v1"], ReinvocationPolicy = policy,
            ClientConfig = new Admissionregistrationv1WebhookClientConfig { Url = $"{_url}/label/{key}", CaBundle = _caBundle },
        };
        await _client.CreateAsync(new V1MutatingWebhookConfiguration { Metadata = new() { Name = "re-1-a" }, Webhooks = [Hook("a", "IfNeeded")] });
        await _client.CreateAsync(new V1MutatingWebhookConfiguration { Metadata = new() { Name = "re-2-b" }, Webhooks = [Hook("b", null)] });

        var created = await _client.CreateAsync(ConfigMap("wh-re", "re", "fine"));
        Assert.AreEqual("yes", created.Metadata.Labels["b"]);
        Assert.AreEqual("yes", created.Metadata.Labels["a-saw-b"], "webhook a ran again after b changed the object");

        var a = await _client.GetAsync<V1MutatingWebhookConfiguration>("re-1-a");
        a.Webhooks[0].ReinvocationPolicy = "Never";
        await _client.UpdateAsync(a);
        created = await _client.CreateAsync(ConfigMap("wh-re", "once", "fine"));
        Assert.AreEqual("no", created.Metadata.Labels["a-saw-b"], "with Never, a ran once, before b");
    }

    [TestMethod]
    public async Task RequestsOfTheServersOwnIdentity_AreSentToWebhooks()
    {
        var admin = _cluster.Server.CreateClient(UserInfo.Admin);
        var created = await admin.CreateAsync(ConfigMap("wh", "by-admin", "fine"));
        Assert.AreEqual("yes", created.Metadata.Labels?["mutated"], "system:admin is not exempt from webhooks");
        var denied = await Assert.ThrowsExactlyAsync<ForbiddenException>(() => admin.CreateAsync(ConfigMap("wh", "by-admin-bad", "forbidden")));
        StringAssert.Contains(denied.Status.Message, "no forbidden keys, system:admin");
    }
}
