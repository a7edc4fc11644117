using k8s.Models;
using Kube.ApiServer.Authorization;
using Kube.Core.Admission;
using Kube.Core.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.Http;

[TestClass]
public sealed class AuthorizationTests
{
    private sealed class NoDeletes : IAuthorizer
    {
        public ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes a, CancellationToken ct) =>
            ValueTask.FromResult(a.Verb is "delete" or "deletecollection" && a.User.Name != "system:admin" || a.Verb == "delete" && a.Resource == "secrets"
                ? AuthorizationDecision.Deny
                : AuthorizationDecision.Allow);
    }

    [TestMethod]
    public async Task Authorizer_FromServices_GuardsHttpInProcessAndAccessReviews()
    {
        var services = new ServiceCollection().AddSingleton<IAuthorizer, NoDeletes>().BuildServiceProvider();
        await using var cluster = await TestCluster.StartAsync(services: services);
        await cluster.PostAsync("/api/v1/namespaces/default/secrets", """{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}""");
        var r = await cluster.SendAsync(HttpMethod.Delete, "/api/v1/namespaces/default/secrets/s");
        Assert.AreEqual(403, r.Code);
        Assert.AreEqual("secrets \"s\" is forbidden: User \"system:admin\" cannot delete resource \"secrets\" in API group \"\" in the namespace \"default\"",
            r.Body!["message"]!.GetValue<string>());

        var bob = cluster.Server.CreateClient(new UserInfo("bob", ["system:authenticated"]));
        await bob.CreateAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c", NamespaceProperty = "default" } });
        await Assert.ThrowsExactlyAsync<ForbiddenException>(() => bob.DeleteAsync<V1ConfigMap>("c", "default"));

        var review = await cluster.PostAsync("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            """{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"verb":"delete","resource":"secrets","namespace":"default"}}}""");
        Assert.AreEqual(201, review.Code, review.Body?.ToJsonString());
        Assert.IsFalse(review.Body!["status"]!["allowed"]!.GetValue<bool>());
    }
}
