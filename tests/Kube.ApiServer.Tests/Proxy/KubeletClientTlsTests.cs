using System.Net;
using Kube.ApiServer.Proxy;
using Kube.ApiServer.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests.Proxy;

/// <summary>
/// The API server's kubelet client with <see cref="ApiServerSecurityOptions.KubeletClientCertificate"/>: HTTPS, the client
/// certificate presented, the kubelet's serving certificate checked against the cluster CA; plain HTTP without it.
/// </summary>
[TestClass]
public sealed class KubeletClientTlsTests
{
    private string _dir = "";

    [TestInitialize]
    public void Init() => _dir = Directory.CreateTempSubdirectory("kubelet-client-tls-").FullName;

    [TestCleanup]
    public void Cleanup() => Directory.Delete(_dir, true);

    private static async Task<(WebApplication App, Uri Base)> FakeKubeletAsync(System.Security.Cryptography.X509Certificates.X509Certificate2 serving)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(h =>
        {
            h.ServerCertificate = serving;
            h.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            h.AllowAnyClientCertificate();
        })));
        var app = builder.Build();
        app.Run(ctx => ctx.Response.WriteAsync("caller=" + ctx.Connection.ClientCertificate?.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false)));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new Uri(address.Replace("https://", "http://", StringComparison.Ordinal) + "/"));
    }

    [TestMethod]
    public async Task WithAClientCertificate_ReachesTheKubeletOverHttps_AsTheApiServerKubeletClient()
    {
        var pki = ClusterPki.CreateOrLoad(Path.Combine(_dir, "pki"));
        var (app, baseUri) = await FakeKubeletAsync(pki.KubeletServingCertificate("node-1"));
        await using var _ = app;
        var client = KubeletClient.For(new ApiServerSecurityOptions { KubeletClientCertificate = pki.ApiServerKubeletClientCertificate(), KubeletCertificateAuthority = pki.CertificateAuthority });
        Assert.IsTrue(client.Https);
        var uri = new Uri(client.Rebase(baseUri), "stats/summary");
        Assert.AreEqual("https", uri.Scheme);
        Assert.AreEqual("caller=kube-apiserver-kubelet-client", await client.Http.GetStringAsync(uri));
    }

    [TestMethod]
    public async Task AKubeletServingCertificateFromAnotherCa_IsRefused()
    {
        var pki = ClusterPki.CreateOrLoad(Path.Combine(_dir, "pki"));
        var other = ClusterPki.CreateOrLoad(Path.Combine(_dir, "other-pki"));
        var (app, baseUri) = await FakeKubeletAsync(other.KubeletServingCertificate("node-1"));
        await using var _ = app;
        var client = KubeletClient.For(new ApiServerSecurityOptions { KubeletClientCertificate = pki.ApiServerKubeletClientCertificate(), KubeletCertificateAuthority = pki.CertificateAuthority });
        await Assert.ThrowsExactlyAsync<HttpRequestException>(() => client.Http.GetStringAsync(new Uri(client.Rebase(baseUri), "stats/summary")));
    }

    [TestMethod]
    public void WithoutSecurity_KubeletsAreReachedOverPlainHttp()
    {
        var client = KubeletClient.For(null);
        Assert.IsFalse(client.Https);
        Assert.AreEqual("http", client.Rebase(new Uri("http://127.0.0.1:10250/")).Scheme);
        Assert.IsFalse(KubeletClient.For(new ApiServerSecurityOptions()).Https);
    }
}
