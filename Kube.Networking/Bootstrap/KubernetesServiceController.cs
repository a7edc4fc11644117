using System.Net;
using k8s.Models;
using Kube.Core.Client;
using Kube.Networking.EndpointSlices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Kube.Networking.Bootstrap;

/// <summary>
/// Keeps Service default/kubernetes (ClusterIP: the service CIDR's reserved first IP, port 443 "https") and its
/// EndpointSlice (managed-by kube-apiserver, pointing at <see cref="NetworkingOptions.KubernetesServiceEndpoint"/>)
/// in place, as kube-apiserver's bootstrap controller does. Re-checks every <see cref="NetworkingOptions.RepairInterval"/>.
/// </summary>
internal sealed class KubernetesServiceController(NetworkingOptions options, IKubeClient client, TimeProvider time, ILogger<KubernetesServiceController> logger)
    : IHostedService
{
    public const string ManagedBy = "kube-apiserver";
    private CancellationTokenSource? _stopping;
    private Task? _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private async Task RunAsync(CancellationToken token)
    {
        var delay = TimeSpan.FromMilliseconds(200);
        while (!token.IsCancellationRequested)
        {
            try
            {
                await EnsureAsync(token).ConfigureAwait(false);
                delay = options.RepairInterval;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                logger.LogWarning("Ensuring Service default/kubernetes failed ({Message}); retrying", ex.Message);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }

            try
            {
                await Task.Delay(delay, time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal async Task EnsureAsync(CancellationToken token)
    {
        var endpoint = IPEndPoint.Parse(options.KubernetesServiceEndpoint!);
        V1Service service;
        try
        {
            service = await client.GetAsync<V1Service>("kubernetes", "default", token).ConfigureAwait(false);
        }
        catch (NotFoundException)
        {
            service = await client.CreateAsync(new V1Service
            {
                ApiVersion = "v1",
                Kind = "Service",
                Metadata = new V1ObjectMeta
                {
                    Name = "kubernetes",
                    NamespaceProperty = "default",
                    Labels = new Dictionary<string, string> { ["component"] = "apiserver", ["provider"] = "kubernetes" },
                },
                Spec = new V1ServiceSpec
                {
                    Type = "ClusterIP",
                    Ports = [new V1ServicePort { Name = "https", Port = 443, Protocol = "TCP", TargetPort = (IntOrString)endpoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) }],
                    SessionAffinity = "None",
                },
            }, cancellationToken: token).ConfigureAwait(false);
            logger.LogInformation("Created Service default/kubernetes with ClusterIP {Ip}", service.Spec.ClusterIP);
        }

        var desired = new V1EndpointSlice
        {
            ApiVersion = "discovery.k8s.io/v1",
            Kind = "EndpointSlice",
            Metadata = new V1ObjectMeta
            {
                Name = "kubernetes",
                NamespaceProperty = "default",
                Labels = new Dictionary<string, string>
                {
                    [EndpointSliceLabels.ServiceName] = "kubernetes",
                    [EndpointSliceLabels.ManagedBy] = ManagedBy,
                },
            },
            AddressType = "IPv4",
            Endpoints = [new V1Endpoint { Addresses = [endpoint.Address.ToString()], Conditions = new V1EndpointConditions { Ready = true, Serving = true, Terminating = false } }],
            Ports = [new Discoveryv1EndpointPort { Name = "https", Port = endpoint.Port, Protocol = "TCP" }],
        };
        try
        {
            var current = await client.GetAsync<V1EndpointSlice>("kubernetes", "default", token).ConfigureAwait(false);
            if (current.Endpoints?.FirstOrDefault()?.Addresses?.FirstOrDefault() != endpoint.Address.ToString() || current.Ports?.FirstOrDefault()?.Port != endpoint.Port)
            {
                desired.Metadata.ResourceVersion = current.Metadata.ResourceVersion;
                await client.UpdateAsync(desired, cancellationToken: token).ConfigureAwait(false);
            }
        }
        catch (NotFoundException)
        {
            await client.CreateAsync(desired, cancellationToken: token).ConfigureAwait(false);
        }
    }
}
