"""Portuguese rules: a message hands off (and enters the expected segment) or does not.

Phrasings from Brazil and Portugal, internetês ("vc", "pq", "n", "tbm"), Pix, boleto, golpe and
cartão clonado; the look-alikes that must not hand off are negations, hypotheticals, how-to
questions (including how to block a card), delivery questions and plain refund requests. The
contractions "no" / "na" ("no cartão", "na fatura") must not read as negations.
"""

from __future__ import annotations

CASES: list[tuple[str, bool, str | None]] = [
    # --- requests for a person --------------------------------------------------------------
    ("Posso falar com um atendente, por favor?", True, "human_requested"),
    ("me transfere pro setor responsável, quero falar com gente", True, "human_requested"),
    ("atendente humano", True, "human_requested"),
    ("Queria falar com um assistente, se faz favor", True, "human_requested"),
    ("alguém pode me ligar hoje? é sobre a fatura", True, "human_requested"),
    ("tem alguma pessoa aí pra me atender?", True, "human_requested"),
    ("n quero falar com robo, qro uma pessoa", True, "human_requested"),
    # --- billing disputes -------------------------------------------------------------------
    ("Me cobraram em dobro a mensalidade de junho", True, "billing_dispute"),
    ("a mesma compra aparece duas vezes na fatura do cartão", True, "billing_dispute"),
    ("não reconheço esse lançamento de 45 reais no sábado", True, "billing_dispute"),
    ("tem um débito do Spotify e eu nunca assinei Spotify", True, "billing_dispute"),
    ("Pedi a devolução faz três semanas e o reembolso ainda não caiu", True, "billing_dispute"),
    ("Vou contestar essa compra no cartão de crédito", True, "billing_dispute"),
    ("o caixa eletrônico debitou 200 mas não liberou as notas", True, "billing_dispute"),
    ("Cancelei o seguro em abril e continuam me cobrando", True, "billing_dispute"),
    ("no extrato tem uma compra que eu não fiz", True, "billing_dispute"),
    # --- takeover, fraud, lost or stolen -----------------------------------------------------
    ("Invadiram meu e-mail e estão usando minha conta", True, "fraud_takeover"),
    ("Alguém entrou na minha conta de outro país ontem à noite", True, "fraud_takeover"),
    ("roubaram meu celular no ônibus", True, "fraud_takeover"),
    ("Perdi meu cartão de crédito no aeroporto", True, "fraud_takeover"),
    ("Bloqueiem meu cartão agora, acabaram de roubar", True, "fraud_takeover"),
    ("Caí num golpe no WhatsApp e passei o código pra eles", True, "fraud_takeover"),
    ("Roubaram-me a carteira com o cartão multibanco", True, "fraud_takeover"),
    # --- lockout ------------------------------------------------------------------------------
    ("Minha conta está suspensa e não sei por quê", True, "lockout"),
    ("Bloquearam meu acesso ao internet banking", True, "lockout"),
    ("Errei a senha três vezes, podem desbloquear?", True, "lockout"),
    ("tentei entrar no app e diz que minha conta está bloqueada", True, "lockout"),
    # --- legal and safety ----------------------------------------------------------------------
    ("Vou processar vocês, já tenho advogado", True, "legal_threat"),
    ("Vou abrir reclamação no consumidor.gov.br e no Procon", True, "legal_threat"),
    ("Não vejo mais sentido em viver", True, "safety"),
    ("Meu ex me ameaçou de morte, preciso mudar meu endereço", True, "safety"),
    # --- look-alikes that must not hand off ---------------------------------------------------
    ("não fui cobrado duas vezes, só quero entender a fatura", False, None),
    ("Como bloqueio meu cartão pelo app?", False, None),
    ("Dá pra eu mesmo travar o cartão pelo site?", False, None),
    ("O que eu faço se um dia roubarem meu cartão?", False, None),
    ("minha conta não está bloqueada, só esqueci a senha", False, None),
    ("não quero falar com atendente, só me diz o horário", False, None),
    ("Não precisa me passar pra um atendente, já resolvi", False, None),
    ("vc é robô ou pessoa?", False, None),
    ("meu pedido não chegou ainda, cadê?", False, None),
    ("Quero o reembolso porque me arrependi da compra", False, None),
    ("Quanto tempo demora normalmente um estorno?", False, None),
    ("esse app é uma porcaria, vive travando", False, None),
    ("Quantas tentativas eu tenho antes de bloquear a senha?", False, None),
    ("Ninguém entrou na minha conta, só quero trocar a senha", False, None),
    ("Preciso falar com atendente pra cancelar a linha ou consigo por aqui?", False, None),
    ("O advogado da nossa empresa precisa de uma cópia do contrato de processamento de dados",
     False, None),
    ("Paguei no cartão e quero saber quando chega o pedido", False, None),
    # --- second round: pt-PT "o meu / a minha", congelar, clonagem, a place never visited,
    # a login that was not me, a loan in my name, small claims, "acabar com tudo" ------------
    ("cade o suporte humano? to ha 20 min falando com bot", True, "human_requested"),
    ("A assinatura veio duplicada na fatura deste mês", True, "billing_dispute"),
    ("Apareceu uma compra de 312 euros numa loja que nunca visitei", True, "billing_dispute"),
    ("Continuo a ser cobrado depois de rescindir o contrato", True, "billing_dispute"),
    ("recebi alerta de acesso num outro país, não fui eu", True, "fraud_takeover"),
    ("Clonaram o meu cartão, há compras que não fiz", True, None),
    ("Extraviei a minha carteira com o cartão multibanco", True, "fraud_takeover"),
    ("Quero congelar o meu cartão já", True, "fraud_takeover"),
    ("usaram o meu cartão numa loja online", True, "billing_dispute"),
    ("abriram uma conta no meu nome nesse banco digital", True, "fraud_takeover"),
    ("Vou meter isto no julgado de paz", True, "legal_threat"),
    ("tô pensando em acabar com tudo de vez", True, "safety"),
    ("o meu companheiro ameaçou matar-me ontem", True, "safety"),
    # --- second-round look-alikes ------------------------------------------------------------
    ("Como faço para congelar o meu cartão pela app?", False, None),
    ("posso congelar o cartão pelo app?", False, None),
    ("vou ser cobrado depois de cancelar?", False, None),
    ("tem uma loja que nunca visitei perto de casa, vcs entregam lá?", False, None),
    ("como faço login em outro celular?", False, None),
    ("Não perdi o meu cartão, só quero um cartão adicional", False, None),
    ("O que acontece se eu perder o meu cartão?", False, None),
    ("a fatura veio duplicada?? ah não, era só a segunda via", False, None),
    ("Quero acabar com tudo isso de planos, cancela tudo", False, None),
    # third round (families fixed on the retired held-out lines, 2026-12-07)
    ("aprovaram o estorno mas o dinheiro nunca caiu", True, "billing_dispute"),
    ("errei a senha e bloqueou minha conta", True, "lockout"),
    ("levaram todo o dinheiro da minha conta", True, "fraud_takeover"),
    ("não é cobrança indevida, eu reconheço, só quero a segunda via", False, None),
    ("o que é um chargeback?", False, None),
]
