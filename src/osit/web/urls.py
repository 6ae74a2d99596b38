"""The web UI's URL map. One view module per area: auth, lists, ticket, phone, portal."""

from django.urls import include, path

from osit.web.views import auth, lists, phone, portal, ticket

app_name = "web"

urlpatterns = [
    # accounts
    path("login/", auth.login_view, name="login"),
    path("logout/", auth.logout_view, name="logout"),
    path("password/", auth.password_change, name="password_change"),
    path("profile/", auth.profile, name="profile"),
    path("profile/tokens/", auth.token_create, name="token_create"),
    path("profile/tokens/<int:token_id>/revoke/", auth.token_revoke, name="token_revoke"),
    path("notifications/", auth.notifications, name="notifications"),
    path("i18n/", include("django.conf.urls.i18n")),
    # agent lists
    path("", lists.home, name="home"),
    path("queues/<slug:slug>/", lists.queue, name="queue"),
    path("mine/", lists.mine, name="mine"),
    path("unowned/", lists.unowned, name="unowned"),
    path("enhancements/", lists.enhancements, name="enhancements"),
    path("closed/", lists.closed, name="closed"),
    path("tickets/new/", lists.quick_create, name="quick_create"),
    # the ticket page and its actions (agents; requesters are sent to the portal page)
    path("tickets/<int:number>/", ticket.detail, name="ticket"),
    path("tickets/<int:number>/panels/<slug:name>/", ticket.panel, name="ticket_panel"),
    path("tickets/<int:number>/reply/", ticket.reply, name="ticket_reply"),
    path("tickets/<int:number>/status/", ticket.status, name="ticket_status"),
    path("tickets/<int:number>/reroute/", ticket.reroute, name="ticket_reroute"),
    path("tickets/<int:number>/take/", ticket.take, name="ticket_take"),
    path("tickets/<int:number>/assign/", ticket.assign, name="ticket_assign"),
    path("tickets/<int:number>/classify/", ticket.classify, name="ticket_classify"),
    path("tickets/<int:number>/priority/", ticket.priority, name="ticket_priority"),
    path("tickets/<int:number>/decide/", ticket.decide, name="ticket_decide"),
    path("tickets/<int:number>/watchers/", ticket.watchers, name="ticket_watchers"),
    path("tickets/<int:number>/attachments/", ticket.attach, name="ticket_attach"),
    path("tickets/<int:number>/links/", ticket.link, name="ticket_link"),
    path("tickets/<int:number>/links/<int:link_id>/remove/", ticket.unlink, name="ticket_unlink"),
    path("tickets/<int:number>/merge/", ticket.merge, name="ticket_merge"),
    path("tickets/<int:number>/split/<int:comment_id>/", ticket.split, name="ticket_split"),
    path("attachments/<int:attachment_id>/<str:filename>", ticket.download, name="attachment"),
    # phone (operators)
    path("phone/new", phone.new, name="phone_new_noslash"),
    path("phone/new/", phone.new, name="phone_new"),
    path("phone/lookup/", phone.lookup, name="phone_lookup"),
    path("phone/recent/", phone.recent, name="phone_recent"),
    path("phone/suggest/", phone.suggest_service, name="phone_suggest"),
    # self-service portal (requesters)
    path("portal/", portal.index, name="portal"),
    path("portal/new/", portal.new, name="portal_new"),
    path("portal/tickets/<int:number>/", portal.detail, name="portal_ticket"),
    path("portal/tickets/<int:number>/reply/", portal.reply, name="portal_reply"),
    path("portal/tickets/<int:number>/confirm/", portal.confirm, name="portal_confirm"),
    path("portal/tickets/<int:number>/reopen/", portal.reopen, name="portal_reopen"),
]
