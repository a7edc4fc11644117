using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kube.ApiServer.Tests;

/// <summary>
/// A fake kubelet for the API server's node proxies: Kestrel on a free loopback port (with WebSockets) running the test's
/// handler, and Nodes whose status points their kubelet endpoint at it.
/// </summary>
internal sealed class FakeKubelet : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeKubelet(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    public int Port { get; }

    public static async Task<FakeKubelet> StartAsync(RequestDelegate handler)
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseWebSockets(new WebSocketOptions());
        app.Run(handler);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeKubelet(app, new Uri(address).Port);
    }

    /// <summary>
    /// Creates Node <paramref name="name"/> and sets its status (InternalIP 127.0.0.1, kubelet endpoint <see cref="Port"/>,
    /// plus <paramref name="extraStatus"/>: more JSON members of <c>status</c>); returns the status response.
    /// </summary>
    public async Task<JsonNode> RegisterNodeAsync(TestCluster cluster, string name, string extraStatus = "")
    {
        var r = await cluster.PostAsync("/api/v1/nodes", Objects.Node(name));
        Assert.AreEqual(201, r.Code, r.Body?.ToJsonString());
        var extra = extraStatus.Length > 0 ? "," + extraStatus : "";
        var status = $$"""{"status":{"addresses":[{"type":"InternalIP","address":"127.0.0.1"}],"daemonEndpoints":{"kubeletEndpoint":{"Port":{{Port}}} }{{extra}} } }""";
        r = await cluster.SendAsync(HttpMethod.Patch, $"/api/v1/nodes/{name}/status", status, "application/merge-patch+json");
        Assert.AreEqual(200, r.Code, r.Body?.ToJsonString());
        return r.Body!;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
