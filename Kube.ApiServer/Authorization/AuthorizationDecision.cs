namespace Kube.ApiServer.Authorization;

/// <summary>An authorizer's answer; anything but <see cref="Allow"/> is answered 403 Forbidden.</summary>
public enum AuthorizationDecision { Allow, Deny, NoOpinion }
