using System.Net;
using k8s.Models;

namespace Kube.Core.Client;

/// <summary>An error answered by the API server, with its <see cref="V1Status"/>.</summary>
public class KubeApiException : Exception
{
    public KubeApiException(V1Status status, Exception? inner = null)
        : base(status.Message ?? status.Reason ?? $"HTTP {status.Code}", inner)
    {
        Status = status;
    }

    public V1Status Status { get; }

    public HttpStatusCode StatusCode => (HttpStatusCode)(Status.Code ?? 500);

    public string? Reason => Status.Reason;

    /// <summary>Builds the typed exception for a status: NotFound, AlreadyExists, Conflict, Invalid, Gone, Forbidden, Unauthorized, TooManyRequests.</summary>
    public static KubeApiException FromStatus(V1Status status, Exception? inner = null) => status.Reason switch
    {
        "NotFound" => new NotFoundException(status, inner),
        "AlreadyExists" => new AlreadyExistsException(status, inner),
        "Conflict" => new ConflictException(status, inner),
        "Invalid" => new InvalidException(status, inner),
        "Expired" or "Gone" => new GoneException(status, inner),
        "Forbidden" => new ForbiddenException(status, inner),
        "Unauthorized" => new UnauthorizedException(status, inner),
        "TooManyRequests" => new TooManyRequestsException(status, inner),
        _ => status.Code switch
        {
            404 => new NotFoundException(status, inner),
            409 => new ConflictException(status, inner),
            410 => new GoneException(status, inner),
            422 => new InvalidException(status, inner),
            403 => new ForbiddenException(status, inner),
            401 => new UnauthorizedException(status, inner),
            429 => new TooManyRequestsException(status, inner),
            _ => new KubeApiException(status, inner),
        },
    };

    /// <summary>A Failure status with the given code, reason and message.</summary>
    public static V1Status NewStatus(int code, string reason, string message, V1StatusDetails? details = null) => new()
    {
        ApiVersion = "v1",
        Kind = "Status",
        Metadata = new V1ListMeta(),
        Status = "Failure",
        Code = code,
        Reason = reason,
        Message = message,
        Details = details,
    };
}

public sealed class NotFoundException(V1Status status, Exception? inner = null) : KubeApiException(status, inner);

public sealed class AlreadyExistsException(V1Status status, Exception? inner = null) : KubeApiException(status, inner);

public sealed class ConflictException(V1Status status, Exception? inner = null) : KubeApiException(status, inner);

public sealed class InvalidException(V1Status status, Exception? inner = null) : KubeApiException(status, inner);

/// <summary>410: the requested resourceVersion is too old (reason Expired or Gone). Informers relist on it.</summary>
public sealed class GoneException(V1Status status, Exception? inner = null) : KubeApiException(status, inner);

public sealed class ForbiddenException(V1Status status, Exception? inner = null) : KubeApiException(status, inner);

public sealed class UnauthorizedException(V1Status status, Exception? inner = null) : KubeApiException(status, inner);

public sealed class TooManyRequestsException(V1Status status, Exception? inner = null) : KubeApiException(status, inner);
