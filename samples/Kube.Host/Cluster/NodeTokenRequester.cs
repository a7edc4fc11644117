using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Models;
using Kube.ApiServer.Security;
using Kube.Core.Client;
using Kube.Node.Agent;

namespace Kube.Host.Cluster;

/// <summary>
/// TokenRequest for a built-in node agent: <c>POST serviceaccounts/NAME/token</c> over HTTPS with the node's own client
/// certificate (<c>system:node:&lt;name&gt;</c>), so the Node authorizer decides as for any kubelet: only service accounts
/// of pods bound to this node. The in-process client cannot return a TokenRequest's status, hence HTTP here.
/// </summary>
internal sealed class NodeTokenRequester : IServiceAccountTokenRequester, IDisposable
{
    private readonly HttpClient _http;
    private readonly X509Certificate2 _ca;

    public NodeTokenRequester(Uri server, X509Certificate2 clientCertificate, X509Certificate2 ca)
    {
        _ca = ca;
        var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, _) => cert is not null && ClusterPki.ChainsTo(cert, _ca) };
        handler.ClientCertificates.Add(clientCertificate);
        _http = new HttpClient(handler) { BaseAddress = server, Timeout = TimeSpan.FromSeconds(10) };
    }

    public async Task<Authenticationv1TokenRequest> CreateTokenAsync(string @namespace, string name, Authenticationv1TokenRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var content = new StringContent(KubernetesJson.Serialize(request), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var resp = await _http.PostAsync($"api/v1/namespaces/{Uri.EscapeDataString(@namespace)}/serviceaccounts/{Uri.EscapeDataString(name)}/token",
            content, cancellationToken);
        var text = await resp.Content.ReadAsStringAsync(cancellationToken);
        if (!resp.IsSuccessStatusCode)
        {
            V1Status? status = null;
            try { status = KubernetesJson.Deserialize<V1Status>(text); } catch (System.Text.Json.JsonException) { }
            throw KubeApiException.FromStatus(status ?? new V1Status { Code = (int)resp.StatusCode, Message = $"TokenRequest failed with {(int)resp.StatusCode}" });
        }
        return KubernetesJson.Deserialize<Authenticationv1TokenRequest>(text);
    }

    public void Dispose() => _http.Dispose();
}
